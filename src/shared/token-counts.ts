// Token counts as Cloister accepts them: what upstream reports is checked before it is added to
// anything (a bigint column refuses 1e308, 2^63-1 overflows a sum, a fraction or a string is no
// count), and what upstream did not report is estimated from bytes. Pure, shared by the proxy
// (reading usage) and the limits (reserving and charging).

/**
 * The most tokens one exchange may report in one field. Far above any model's context and output
 * today, and far below where sums of counts could leave the safe-integer range or a bigint.
 */
export const MAX_TOKEN_COUNT = 100_000_000;

/** Why a reported count was refused (logged; never the value itself). */
export type CountProblem = 'not_a_number' | 'negative' | 'not_whole' | 'too_large';

/** A token count: a non-negative safe integer up to MAX_TOKEN_COUNT, or why it is not one. */
export function checkTokenCount(v: unknown): number | CountProblem {
  if (typeof v !== 'number' || Number.isNaN(v)) return 'not_a_number';
  if (v < 0) return 'negative';
  if (!Number.isInteger(v)) return v === Infinity ? 'too_large' : 'not_whole';
  if (v > MAX_TOKEN_COUNT) return 'too_large';
  return v;
}

/** Whether counts can go into the counters as they are: both pass checkTokenCount. */
export function usableCounts(input: number, output: number): boolean {
  return typeof checkTokenCount(input) === 'number' && typeof checkTokenCount(output) === 'number';
}

/** Rough tokens for an exchange whose usage upstream did not report (about four bytes per token). */
export function estimateTokens(bytes: number): number {
  return Math.ceil(bytes / 4);
}
