// The manual clock is the judge of every timer test, so its own rules are tested: timers run in
// time order with the clock at their instant, a cancelled one never runs, and a repeating one
// that fell due many times in one move runs once, at the last instant it fell due.
import { expect } from 'chai';
import { manualClock } from '../../support/clock.ts';

describe('manual clock', () => {
  it('runs one-shot and repeating timers in time order, each seeing its own instant', () => {
    const clock = manualClock('2026-01-01T00:00:00Z');
    const seen: string[] = [];
    const at = () => clock.now().toISOString().slice(11, 19);
    clock.after(3_000, () => seen.push(`once ${at()}`));
    clock.every(2_000, () => seen.push(`every ${at()}`));
    clock.advance(2_500);
    clock.advance(1_000);
    expect(seen).to.deep.equal(['every 00:00:02', 'once 00:00:03']);
    expect(at()).to.equal('00:00:03');
    expect(clock.pending).to.equal(1);
  });

  it('runs a repeating timer once per move, at the last instant it fell due', () => {
    const clock = manualClock('2026-01-01T00:00:00Z');
    const runs: number[] = [];
    const start = clock.now().getTime();
    clock.every(1_000, () => runs.push(clock.now().getTime() - start));
    clock.advance(30 * 24 * 3600_000);
    expect(runs).to.deep.equal([30 * 24 * 3600_000]);
    clock.advance(1_500);
    expect(runs.at(-1)).to.equal(30 * 24 * 3600_000 + 1_000);
  });

  it('never runs a cancelled timer', () => {
    const clock = manualClock();
    let ran = 0;
    const cancelOnce = clock.after(10, () => ran++);
    const cancelEvery = clock.every(10, () => ran++);
    cancelOnce();
    cancelEvery();
    clock.advance(1_000);
    expect(ran).to.equal(0);
    expect(clock.pending).to.equal(0);
  });
});
