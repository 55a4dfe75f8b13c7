import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createLogger } from '../../../src/log.ts';
import { hasUsageObject, readUsage, trackExchange } from '../../../src/proxy/exchange-tracker.ts';
import { createExchangeEvents, type ExchangeEvents } from '../../../src/proxy/exchange-events.ts';
import type { CompletedExchange } from '../../../src/shared/exchanges.ts';
import type { Ownership } from '../../../src/conversations/ownership.ts';

/** Feeds raw SSE data through an observer the way the relay does: parsed only when wanted. */
function tracker(kind: CompletedExchange['kind'], recordOwnership = false) {
  const emitted: CompletedExchange[] = [];
  const recorded: string[] = [];
  const ownership = { record: async (_k: string, id: string) => { recorded.push(id); } } as unknown as Ownership;
  const events = { emit: async (e: CompletedExchange) => { emitted.push(e); } } as unknown as ExchangeEvents;
  const observer = trackExchange({
    kind, principal: { userId: 'u1', via: 'api_key', keyId: 'k1' }, model: 'm', requestBody: Buffer.from('r'), requestBytes: 10,
    conversationId: null, recordOwnership, ownership, events, logger: createLogger('silent'), requestId: 'req_1', background: false,
  });
  let parsed = 0;
  const feed = async (data: unknown, event?: string) => {
    const raw = JSON.stringify(data);
    if (!observer.wants!(event, raw)) return;
    parsed++;
    await observer.onEvent!(event, JSON.parse(raw) as Record<string, unknown>);
  };
  const finish = async () => {
    await observer.onFinish!({ status: 200, responseSha256: 'h', responseBytes: 100, streamed: true, completed: true });
    return emitted[0]!;
  };
  return { feed, finish, recorded, parsed: () => parsed };
}

describe('exchange tracker on streams', () => {
  it('reads a chat stream\'s id from the first chunk and usage from the last, parsing nothing between', async () => {
    const t = tracker('chat.completion', true);
    const chunk = (content: string) => ({ id: 'chatcmpl_1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }], usage: null });
    await t.feed(chunk('a'));
    for (let i = 0; i < 50; i++) await t.feed(chunk(`say "usage": {"prompt_tokens": 999} ${i}`));
    await t.feed({ id: 'chatcmpl_1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } });
    const e = await t.finish();
    expect(e.objectId).to.equal('chatcmpl_1');
    expect(e.usage).to.deep.equal({ inputTokens: 11, outputTokens: 7 });
    expect(t.recorded).to.deep.equal(['chatcmpl_1']);
    expect(t.parsed()).to.equal(2);
  });

  it('keeps parsing until an id shows up', async () => {
    const t = tracker('chat.completion');
    await t.feed({ object: 'chat.completion.chunk', choices: [] });
    await t.feed({ object: 'chat.completion.chunk', choices: [] });
    await t.feed({ id: 'chatcmpl_2', choices: [] });
    await t.feed({ id: 'chatcmpl_2', choices: [] });
    expect(t.parsed()).to.equal(3);
    expect((await t.finish()).objectId).to.equal('chatcmpl_2');
  });

  it('reads a Responses stream\'s id from response.created and usage from response.completed only', async () => {
    const t = tracker('response', true);
    const response = (status: string, usage: unknown) => ({ id: 'resp_1', object: 'response', status, usage });
    await t.feed({ type: 'response.created', response: response('in_progress', null) }, 'response.created');
    await t.feed({ type: 'response.in_progress', response: response('in_progress', null) }, 'response.in_progress');
    for (let i = 0; i < 20; i++) await t.feed({ type: 'response.output_text.delta', delta: `w${i}` }, 'response.output_text.delta');
    await t.feed({ type: 'response.completed', response: response('completed', { input_tokens: 5, output_tokens: 20 }) }, 'response.completed');
    const e = await t.finish();
    expect(e.objectId).to.equal('resp_1');
    expect(e.usage).to.deep.equal({ inputTokens: 5, outputTokens: 20 });
    expect(t.recorded).to.deep.equal(['resp_1']);
    expect(t.parsed()).to.equal(2);
  });

  it('without event names, finds Responses usage by its shape', async () => {
    const t = tracker('response');
    await t.feed({ type: 'response.created', response: { id: 'resp_2', usage: null } });
    await t.feed({ type: 'response.output_text.delta', delta: 'x' });
    await t.feed({ type: 'response.completed', response: { id: 'resp_2', usage: { input_tokens: 1, output_tokens: 2 } } });
    expect((await t.finish()).usage).to.deep.equal({ inputTokens: 1, outputTokens: 2 });
    expect(t.parsed()).to.equal(2);
  });
});

describe('hasUsageObject', () => {
  it('matches a usage member holding an object, whatever the spacing', () => {
    for (const raw of ['{"usage":{"a":1}}', '{"usage" : {"a":1}}', '{"x":1,\n "usage":\n\t{}}', '{"usage":null,"y":{"usage":{}}}']) expect(hasUsageObject(raw), raw).to.equal(true);
  });
  it('does not match null usage, a missing one, or the word inside a string', () => {
    for (const raw of ['{"usage":null}', '{"a":1}', '{"content":"the \\"usage\\": {"}', '{"usage"', '{"usage" :']) expect(hasUsageObject(raw), raw).to.equal(false);
  });
  it('reads bytes the same way as text', () => {
    for (const raw of ['data: {"usage":{"a":1}}\n\n', 'data: {"usage" :\n{}}', 'data: {"usage":null}\n\n', 'data: {"c":"é \\"usage\\": {"}']) {
      expect(hasUsageObject(Buffer.from(raw)), raw).to.equal(hasUsageObject(raw));
    }
  });
});

describe('exchange hashes', () => {
  const logger = createLogger('silent');
  const exchange = (events: ExchangeEvents) => trackExchange({
    kind: 'chat.completion', principal: { userId: 'u1', via: 'api_key', keyId: 'k1' }, model: 'm', requestBody: Buffer.from('{"a":1}'), requestBytes: 7,
    conversationId: null, recordOwnership: false, ownership: {} as Ownership, events, logger, requestId: 'req_1', background: false,
  });

  it('are wanted only while a subscriber that signs is subscribed', () => {
    const events = createExchangeEvents(logger);
    events.subscribe(() => {});
    expect(events.wantsHashes).to.equal(false);
    const off = events.subscribe(() => {}, { hashes: true });
    expect(events.wantsHashes).to.equal(true);
    off();
    expect(events.wantsHashes).to.equal(false);
  });

  it('are computed for a signing subscriber and left out otherwise', async () => {
    for (const hashes of [true, false]) {
      const events = createExchangeEvents(logger);
      const seen: CompletedExchange[] = [];
      events.subscribe((e) => { seen.push(e); }, { hashes });
      const observer = exchange(events);
      expect(observer.hashResponse).to.equal(hashes);
      await observer.onFinish!({ status: 200, responseSha256: hashes ? 'h' : null, responseBytes: 3, streamed: false, completed: true });
      expect(seen[0]!.requestSha256).to.equal(hashes ? createHash('sha256').update('{"a":1}').digest('hex') : null);
      expect(seen[0]!.responseSha256).to.equal(hashes ? 'h' : null);
    }
  });
});

describe('readUsage (finding 7: absurd upstream usage)', () => {
  it('reads both API families and embeddings\' input-and-total form', () => {
    expect(readUsage({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 })).to.deep.equal({ usage: { inputTokens: 11, outputTokens: 7 } });
    expect(readUsage({ input_tokens: 5, output_tokens: 9 })).to.deep.equal({ usage: { inputTokens: 5, outputTokens: 9 } });
    expect(readUsage({ prompt_tokens: 4, total_tokens: 4 })).to.deep.equal({ usage: { inputTokens: 4, outputTokens: 0 } });
    expect(readUsage({ input_tokens: null, prompt_tokens: 3, completion_tokens: 0 })).to.deep.equal({ usage: { inputTokens: 3, outputTokens: 0 } });
    for (const nothing of [null, 'x', 12, [], {}, { total_tokens: 5 }, { prompt_tokens: 3 }]) expect(readUsage(nothing), JSON.stringify(nothing)).to.equal(null);
  });

  it('refuses counts that are not sane whole numbers, naming the field and the problem', () => {
    const cases: Array<[unknown, string, string]> = [
      [{ prompt_tokens: 1e308, completion_tokens: 1 }, 'prompt_tokens', 'too_large'],
      [{ prompt_tokens: 1, completion_tokens: 2 ** 63 - 1 }, 'completion_tokens', 'too_large'],
      [{ input_tokens: JSON.parse('9223372036854775807') as number, output_tokens: 1 }, 'input_tokens', 'too_large'],
      [{ input_tokens: 100_000_001, output_tokens: 1 }, 'input_tokens', 'too_large'],
      [{ input_tokens: -1, output_tokens: 1 }, 'input_tokens', 'negative'],
      [{ input_tokens: 1, output_tokens: 1.5 }, 'output_tokens', 'not_whole'],
      [{ input_tokens: '12', output_tokens: 1 }, 'input_tokens', 'not_a_number'],
      [{ input_tokens: 1, output_tokens: { n: 1 } }, 'output_tokens', 'not_a_number'],
      [{ input_tokens: 1, output_tokens: true }, 'output_tokens', 'not_a_number'],
    ];
    for (const [u, field, problem] of cases) expect(readUsage(u), JSON.stringify(u)).to.deep.equal({ refused: { field, problem } });
    expect(readUsage({ input_tokens: 100_000_000, output_tokens: 0 })).to.deep.equal({ usage: { inputTokens: 100_000_000, outputTokens: 0 } });
  });

  it('leaves an exchange whose last usage was refused without usage, even after a good reading', async () => {
    const t = tracker('chat.completion');
    await t.feed({ id: 'chatcmpl_9', choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } });
    await t.feed({ id: 'chatcmpl_9', choices: [], usage: { prompt_tokens: 1e308, completion_tokens: 2 } });
    expect((await t.finish()).usage).to.equal(null);
  });
});
