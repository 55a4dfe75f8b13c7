// Collects every log line an app writes, so tests can assert what reached (and did not
// reach) the logs.
import { Writable } from 'node:stream';

export interface LogCapture {
  readonly stream: Writable;
  /** raw lines written so far */
  lines(): string[];
  /** parsed JSON lines */
  entries(): Array<Record<string, unknown>>;
  /** whether any line contains the string */
  contains(s: string): boolean;
}

/** A writable sink for pino (synchronous, in memory). */
export function captureLogs(): LogCapture {
  let buf = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      buf += String(chunk);
      cb();
    },
  });
  const lines = () => buf.split('\n').filter(Boolean);
  return {
    stream,
    lines,
    entries: () => lines().map((l) => JSON.parse(l) as Record<string, unknown>),
    contains: (s) => buf.includes(s),
  };
}

/** Resolves once `predicate` holds (checked on every event-loop turn), or rejects after `ms`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
