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
const turn = () => new Promise((r) => setImmediate(r));

describe('log line batching', () => {
  it('hands the lines of one event-loop turn over as one write, in order, and the next turn\'s as the next', async () => {
    const inner = recorder();
    const out = batchedLines(inner);
    out.write('a\n');
    out.write('b\n');
    out.write('c\n');
    expect(inner.writes, 'nothing before the turn ends').to.deep.equal([]);
    await turn();
    expect(inner.writes).to.deep.equal(['a\nb\nc\n']);
    out.write('d\n');
    await turn();
    expect(inner.writes).to.deep.equal(['a\nb\nc\n', 'd\n']);
    await turn();
    expect(inner.writes, 'an idle turn writes nothing').to.have.length(2);
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

  it('keeps every line pino writes (with a real logger)', async () => {
    const inner = recorder();
    const logger = createLogger('info', batchedLines(inner));
    for (let i = 0; i < 5; i++) logger.info({ event: 'request', n: i });
    await turn();
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
});
