// A clock tests can freeze and move.
import type { Clock } from '../../src/clock.ts';

export interface ManualClock extends Clock {
  set(d: Date | string): void;
  advance(ms: number): void;
}

/** A clock frozen at `start` that only moves when told. */
export function manualClock(start: Date | string = '2026-01-15T12:00:00Z'): ManualClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (d) => { t = new Date(d).getTime(); },
    advance: (ms) => { t += ms; },
  };
}
