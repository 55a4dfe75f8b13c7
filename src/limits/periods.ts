// Budget periods are UTC days and UTC calendar months.

/** 'YYYY-MM-DD' of the UTC day containing `now`. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** 'YYYY-MM-01' of the UTC month containing `now`. */
export function utcMonthStart(now: Date): string {
  return `${now.toISOString().slice(0, 7)}-01`;
}

/** Milliseconds until the next UTC midnight. */
export function msUntilNextDay(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime();
}

/** Milliseconds until the first instant of the next UTC month. */
export function msUntilNextMonth(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime();
}
