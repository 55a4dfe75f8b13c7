import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { batchedLines, createLogger } from '../../../src/log.ts';

/** An inner destination that records each write it receives. */
function recorder() {
  const writes: string[] = [];
  let flushed = 0;
  let flushedSync = 0;
  return {
    writes, flushed: () => flushed, flushedSync: () => flushedSync,
    write(s: string) { writes.push(s); },
    flush(cb?: () => void) { flushed++; cb?.(); },
    flushSync() { flushedSync++; },
  };
}
/** A timer the test fires by hand: what batchedLines scheduled, and when. */
function manualTimer() {
  const due: Array<{ fn: () => void; ms: number }> = [];
  return {
    due,
    timer: (fn: () => void, ms: number) => { due.push({ fn, ms }); },
    fire() { for (const t of due.splice(0)) t.fn(); },
  };
}

describe('log line batching', () => {
  it('hands the lines written before its timer fires over as one write, in order, and later ones as the next', () => {
    const inner = recorder();
    const clock = manualTimer();
    const out = batchedLines(inner, { maxDelayMs: 20, timer: clock.timer });
    out.write('a\n');
    out.write('b\n');
    out.write('c\n');
    expect(inner.writes, 'nothing before the timer fires').to.deep.equal([]);
    expect(clock.due.map((t) => t.ms), 'one timer for the batch, of maxDelayMs').to.deep.equal([20]);
    clock.fire();
    expect(inner.writes).to.deep.equal(['a\nb\nc\n']);
    out.write('d\n');
    expect(clock.due).to.have.length(1);
    clock.fire();
    expect(inner.writes).to.deep.equal(['a\nb\nc\n', 'd\n']);
    clock.fire();
    expect(inner.writes, 'no line, no timer, no write').to.have.length(2);
  });

  it('writes at once when maxBytes are waiting, without waiting for the timer', () => {
    const inner = recorder();
    const clock = manualTimer();
    const out = batchedLines(inner, { maxBytes: 10, timer: clock.timer });
    out.write('12345\n');
    expect(inner.writes).to.deep.equal([]);
    out.write('67890\n');
    expect(inner.writes, '12 bytes waiting ≥ 10').to.deep.equal(['12345\n67890\n']);
    out.write('x\n');
    clock.fire();
    expect(inner.writes).to.deep.equal(['12345\n67890\n', 'x\n']);
  });

  it('flush and flushSync hand pending lines over at once and flush the destination', () => {
    const inner = recorder();
    const out = batchedLines(inner);
    out.write('x\n');
    out.flush();
    expect(inner.writes).to.deep.equal(['x\n']);
    expect(inner.flushed()).to.equal(1);
    out.write('y\n');
    out.flushSync();
    expect(inner.writes).to.deep.equal(['x\n', 'y\n']);
    expect(inner.flushedSync()).to.equal(1);
  });

  it('keeps every line pino writes (with a real logger)', () => {
    const inner = recorder();
    const clock = manualTimer();
    const logger = createLogger('info', batchedLines(inner, { timer: clock.timer }));
    for (let i = 0; i < 5; i++) logger.info({ event: 'request', n: i });
    clock.fire();
    expect(inner.writes).to.have.length(1);
    expect(inner.writes[0]!.trimEnd().split('\n').map((l) => (JSON.parse(l) as { n: number }).n)).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('loses no line written just before the process exits', () => {
    const log = fileURLToPath(new URL('../../../src/log.ts', import.meta.url));
    const script = `const { createLogger } = await import(${JSON.stringify(log)}); const l = createLogger('info'); l.info({ event: 'last-words' }); process.exit(3);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).to.equal(3);
    expect(r.stdout).to.contain('"event":"last-words"');
  });

  it('writes the pending lines of a logger nobody holds any more when the process exits', () => {
    const log = fileURLToPath(new URL('../../../src/log.ts', import.meta.url));
    // The exit hook holds the batcher weakly; after a collection only the pending batch's timer
    // can keep it reachable (the shape of `serve` returning after its last line).
    const script = `const { createLogger } = await import(${JSON.stringify(log)}); (() => { createLogger('info').info({ event: 'orphaned' }); })(); setImmediate(() => { globalThis.gc(); });`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).to.equal(0);
    expect(r.stdout).to.contain('"event":"orphaned"');
  });
});
