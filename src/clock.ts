/** Time source; tests pass a frozen or steppable clock to createApp. */
export interface Clock {
  now(): Date;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => new Date() };
