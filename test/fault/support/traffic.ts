// Steady traffic against a Cloister URL while a test breaks something: a few workers, each
// sending one request after another (JSON and streamed, chat and responses), recording every
// answer whole. `check()` then asserts each answer was complete or a clear failure.
import { expect } from 'chai';
import { readAnswer, type Seen } from './fault-checks.ts';
import { CREATION_ROUTES, creationBody } from './fault-upstream.ts';

export interface Traffic {
  readonly answers: Seen[];
  /** how many answers were complete successes so far */
  readonly ok: number;
  /** stops sending and waits for the requests in flight */
  stop(): Promise<void>;
}


/** Starts `workers` loops against `url` with `key`; `model` is what upstream is asked for. */
export function startTraffic(url: string, key: string, model: string, workers = 3): Traffic {
  const answers: Seen[] = [];
  let running = true;
  let n = 0;
  let ok = 0;
  const worker = async () => {
    while (running) {
      const i = n++;
      const route = CREATION_ROUTES[i % 2]!;
      const stream = i % 4 >= 2;
      try {
        const seen = await readAnswer(await fetch(url + route, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: creationBody(route, model, stream) }));
        answers.push(seen);
        if (seen.status === 200 && !seen.text.includes('event: error')) ok++;
      } catch (e) {
        // A connection Cloister refused or dropped is a failure of the process, recorded as such.
        answers.push({ status: 0, contentType: '', text: `no answer: ${String(e)}` });
      }
    }
  };
  const all = Array.from({ length: workers }, worker);
  return {
    answers,
    get ok() { return ok; },
    async stop() { running = false; await Promise.all(all); },
  };
}

/**
 * Every answer is a complete success or a clear failure: a 503 OpenAI-shaped error
 * (service_unavailable) before the first byte, or a stream ending with one `error` event.
 */
export function expectEveryAnswerClear(answers: readonly Seen[]): { ok: number; unavailable: number; errorEvents: number } {
  let ok = 0, unavailable = 0, errorEvents = 0;
  for (const a of answers) {
    expect(a.status, a.text).to.be.oneOf([200, 503]);
    if (a.status === 503) {
      const body = JSON.parse(a.text) as { error: { type: string; code: string; message: string } };
      expect(body.error.code, a.text).to.equal('service_unavailable');
      unavailable++;
      continue;
    }
    expect(a.text, 'not cut').not.to.contain('<cut>');
    const errors = a.text.match(/^event: error$/gm) ?? [];
    expect(errors.length, a.text).to.be.at.most(1);
    if (errors.length === 1) {
      expect(a.text.trimEnd().split('\n\n').at(-1), 'the error event ends the stream').to.match(/^event: error\n/);
      errorEvents++;
    } else if (a.contentType.includes('json')) {
      JSON.parse(a.text);
      ok++;
    } else {
      expect(a.text.trimEnd()).to.satisfy((s: string) => s.endsWith('data: [DONE]') || s.includes('response.completed'));
      ok++;
    }
  }
  return { ok, unavailable, errorEvents };
}
