// What every fault case asserts once the dust has settled: the answer is a clear failure (an
// OpenAI-shaped error, or after the first byte one SSE `error` event and the end), every id the
// client saw is owned by its user, and no admission (lease) is left behind.
import { expect } from 'chai';
import type pg from 'pg';

export interface Seen {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/** Reads an answer whole (a body cut by the server shows as what arrived before the cut). */
export async function readAnswer(res: Response): Promise<Seen> {
  let text = '';
  const decoder = new TextDecoder();
  const reader = res.body!.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    text += '\u0000<cut>';
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
}

/** The OpenAI error object of a JSON answer; fails the test when the answer is not one. */
export function expectOpenAiError(seen: Seen): { message: string; type: string; code: string | null } {
  expect(seen.contentType, seen.text).to.contain('application/json');
  const body = JSON.parse(seen.text) as { error?: { message: unknown; type: unknown; code: unknown; param: unknown } };
  expect(body.error, seen.text).to.be.an('object');
  expect(body.error!.message).to.be.a('string').and.not.equal('');
  expect(body.error!.type).to.be.a('string');
  expect(body.error).to.have.property('param');
  expect(body.error).to.have.property('code');
  return body.error as { message: string; type: string; code: string | null };
}

/** A stream that began: it ends with exactly one `error` event, nothing after it, and was not cut. */
export function expectOneErrorEventAtTheEnd(seen: Seen): Record<string, unknown> {
  expect(seen.status).to.equal(200);
  expect(seen.contentType).to.contain('text/event-stream');
  expect(seen.text, 'the stream ended cleanly').not.to.contain('<cut>');
  const events = seen.text.split(/\n\n/).filter((e) => e.trim() !== '');
  const errors = events.filter((e) => /^event: error$/m.test(e));
  expect(errors, seen.text).to.have.length(1);
  expect(events.at(-1), 'the error event is the last').to.equal(errors[0]);
  const data = /^data: (.*)$/m.exec(errors[0]!)![1]!;
  return JSON.parse(data) as Record<string, unknown>;
}

/**
 * The upstream ids (chat completion, response) in what a client can read: a JSON body that
 * parses, or the SSE events whose data parses. Bytes of an event upstream never finished are
 * not an id the client was given (see docs/reliability.md: they fail closed, 404).
 */
export function idsIn(text: string): string[] {
  const readable: string[] = [];
  try { JSON.parse(text); readable.push(text); } catch {
    for (const event of text.split(/\n\n/)) {
      const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
      try { JSON.parse(data); readable.push(data); } catch { /* not an event a client can read */ }
    }
  }
  return [...new Set(readable.flatMap((r) => [...r.matchAll(/"id":"((?:chatcmpl|resp)_[A-Za-z0-9_-]+)"/g)].map((m) => m[1]!)))];
}

/** Every id the client saw is owned by `userId` (recorded before the client could see it). */
export async function expectOwned(db: pg.Pool, userId: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const rows = await db.query<{ id: string }>('select id from owned_objects where user_id = $1 and id = any($2)', [userId, ids]);
  expect(rows.rows.map((r) => r.id).sort(), 'every id the client saw has its ownership row').to.deep.equal([...ids].sort());
}

/** Admission rows still held (leases and reservations), waiting for background usage excluded. */
export async function admissionsHeld(db: pg.Pool): Promise<number> {
  return Number((await db.query('select count(*) from admissions where not waiting')).rows[0].count);
}

/** Resolves once no admission is held; fails after `ms` naming how many are. */
export async function expectNoAdmissionLeft(db: pg.Pool, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  let held = await admissionsHeld(db);
  while (held > 0 && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
    held = await admissionsHeld(db);
  }
  expect(held, 'admissions left behind').to.equal(0);
}
