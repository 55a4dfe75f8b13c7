import { expect } from 'chai';
import { LineBatcher } from '../../../src/line-batcher.ts';
import { manualClock } from '../../support/clock.ts';

/** A batcher over a sink that records each write, on a clock the test moves. */
function batcher(maxChars = 100, maxDelayMs = 20) {
  const clock = manualClock();
  const writes: string[] = [];
  let flushed = 0;
  const b = new LineBatcher({ write: (t) => { writes.push(t); }, flushSync: () => { flushed++; } }, { maxChars, maxDelayMs }, clock.after);
  return { b, clock, writes, flushed: () => flushed };
}

describe('log line batcher', () => {
  it('writes a batch once its first line is maxDelayMs old, as one write, in order', () => {
    const { b, clock, writes } = batcher();
    b.write('a\n');
    b.write('b\n');
    clock.advance(19);
    expect(writes).to.deep.equal([]);
    clock.advance(1);
    expect(writes).to.deep.equal(['a\nb\n']);
    clock.advance(1000);
    expect(writes).to.have.length(1);
  });

  it('writes at once when a batch reaches maxChars, and its timer then finds nothing to write', () => {
    const { b, clock, writes } = batcher(10);
    b.write('12345\n');
    b.write('67890\n');
    expect(writes).to.deep.equal(['12345\n67890\n']);
    clock.advance(20);
    expect(writes).to.have.length(1);
    b.write('c\n');
    clock.advance(20);
    expect(writes).to.deep.equal(['12345\n67890\n', 'c\n']);
  });

  it('flushSync writes what is pending and flushes the sink (what the exit hook calls)', () => {
    const { b, writes, flushed } = batcher();
    b.write('last words\n');
    b.flushSync();
    expect(writes).to.deep.equal(['last words\n']);
    expect(flushed()).to.equal(1);
    b.flushSync();
    expect(writes).to.have.length(1);
  });
});
