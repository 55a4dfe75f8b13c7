// A clock tests can freeze and move. Its timers fire only when it is moved past their time, in
// time order, each with the clock set to its own instant — the way fake timers do, for the
// clock the app was given.
import type { Cancel, Clock } from '../../src/clock.ts';

export interface ManualClock extends Clock {
  set(d: Date | string): void;
  /** moves time forward, running every timer that falls due on the way */
  advance(ms: number): void;
  /** timers waiting */
  readonly pending: number;
}

interface Timer { at: number; every: number | null; fn: () => void; seq: number }

/** A clock frozen at `start` that only moves when told. */
export function manualClock(start: Date | string = '2026-01-15T12:00:00Z'): ManualClock {
  let t = new Date(start).getTime();
  let seq = 0;
  const timers = new Set<Timer>();
  const add = (ms: number, fn: () => void, repeat: boolean): Cancel => {
    const timer: Timer = { at: t + Math.max(1, ms), every: repeat ? Math.max(1, ms) : null, fn, seq: seq++ };
    timers.add(timer);
    return () => { timers.delete(timer); };
  };
  return {
    now: () => new Date(t),
    every: (ms, fn) => add(ms, fn, true),
    after: (ms, fn) => add(ms, fn, false),
    set: (d) => { t = new Date(d).getTime(); },
    advance(ms) {
      const end = t + ms;
      for (;;) {
        // When a timer falls due next: a repeating one that fell due several times on the way
        // runs once, at the last of those instants — as it would in a process that was paused
        // (a month moved in one step must not run a one-second flush 2.6 million times).
        const due = (timer: Timer) => timer.every === null ? timer.at : timer.at + Math.floor((end - timer.at) / timer.every) * timer.every;
        let next: Timer | null = null;
        for (const timer of timers) {
          if (timer.at > end) continue;
          if (!next || due(timer) < due(next) || (due(timer) === due(next) && timer.seq < next.seq)) next = timer;
        }
        if (!next) break;
        t = due(next);
        if (next.every === null) timers.delete(next);
        else next.at = t + next.every;
        next.fn();
      }
      t = end;
    },
    get pending() { return timers.size; },
  };
}
