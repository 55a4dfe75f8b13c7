// Time: the current instant and the timers that wait on it. Everything that waits for time to
// pass — lease renewal, sweeps, flushes, stream heartbeats, retries — asks the clock, so tests
// move time with a manual clock (test/support/clock.ts) and nothing in them sleeps.

/** Cancels a timer; calling it again does nothing. */
export type Cancel = () => void;

export interface Clock {
  now(): Date;
  /** runs `fn` every `ms` until cancelled; never keeps the process alive */
  every(ms: number, fn: () => void): Cancel;
  /** runs `fn` once after `ms` unless cancelled first; never keeps the process alive */
  after(ms: number, fn: () => void): Cancel;
}

/** The real wall clock and Node's timers (unref'd). */
export const systemClock: Clock = {
  now: () => new Date(),
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};
