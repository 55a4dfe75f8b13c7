// The process logger writes through pino's own destination (SonicBoom), its lines batched and written
// synchronously: no line may be lost when the process exits, whoever still holds the logger.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const log = fileURLToPath(new URL('../../../src/log.ts', import.meta.url));
const run = (script: string, args: string[] = []) => spawnSync(process.execPath, [...args, '--input-type=module', '-e', script], { encoding: 'utf8' });

describe('the process logger\'s destination', () => {
  it('loses no line written just before the process exits', () => {
    const r = run(`const { createLogger } = await import(${JSON.stringify(log)}); const l = createLogger('info'); l.info({ event: 'last-words' }); process.exit(3);`);
    expect(r.status).to.equal(3);
    expect(r.stdout).to.contain('"event":"last-words"');
  });

  it('writes every buffered line, in order, past the buffer size, by the time the process exits', () => {
    const r = run(`const { createLogger } = await import(${JSON.stringify(log)}); const l = createLogger('info'); for (let n = 0; n < 3000; n++) l.info({ event: 'line', n, pad: 'x'.repeat(40) });`);
    expect(r.status).to.equal(0);
    const ns = r.stdout.trimEnd().split('\n').map((line) => (JSON.parse(line) as { n: number }).n);
    expect(ns).to.deep.equal(Array.from({ length: 3000 }, (_, i) => i));
  });

  it('writes the pending lines of a logger nobody holds any more when the process exits', () => {
    // The exit hook holds the destination weakly (the shape of `serve` returning after its last line).
    const r = run(`const { createLogger } = await import(${JSON.stringify(log)}); (() => { createLogger('info').info({ event: 'orphaned' }); })(); setImmediate(() => { globalThis.gc(); });`, ['--expose-gc']);
    expect(r.status).to.equal(0);
    expect(r.stdout).to.contain('"event":"orphaned"');
  });
});
