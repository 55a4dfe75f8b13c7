// Budget periods are UTC days and UTC calendar months.

const DAY_MS = 86_400_000;

/**
 * The UTC calendar date of `now`, computed from the day count (civil-from-days): every inference
 * request needs it, and formatting an ISO string to cut the date out cost more than the rest of
 * the limits middleware's own work.
 */
function civil(now: Date): { y: number; m: number; d: number } {
  const z = Math.floor(now.getTime() / DAY_MS) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
/** Years 0–9999, as toISOString writes them (budgets never see others). */
const year = (y: number) => `${y}`.padStart(4, '0');

/** 'YYYY-MM-DD' of the UTC day containing `now`. */
export function utcDay(now: Date): string {
  const { y, m, d } = civil(now);
  return `${year(y)}-${pad2(m)}-${pad2(d)}`;
}

/** 'YYYY-MM-01' of the UTC month containing `now`. */
export function utcMonthStart(now: Date): string {
  const { y, m } = civil(now);
  return `${year(y)}-${pad2(m)}-01`;
}

/** Milliseconds until the next UTC midnight. */
export function msUntilNextDay(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime();
}

/** Milliseconds until the first instant of the next UTC month. */
export function msUntilNextMonth(now: Date): number {
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) - now.getTime();
}
