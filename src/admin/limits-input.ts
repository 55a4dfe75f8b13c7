// Validates an admin's change of a user's tier and limit overrides, completely, before
// anything is written: a bad field is a 400 naming it, and nothing changes.
import { AppError } from '../errors.ts';
import { LIMIT_FIELDS, limitValueProblem } from '../shared/tier-limits.ts';

export type LimitOverrides = Record<string, number | null>;

/** A validated change: absent fields stay as they are. */
export interface LimitsChange {
  readonly tier?: string;
  readonly overrides?: LimitOverrides;
}

const bad = (message: string, param: string) => new AppError('invalid_request', message, { param });

/** Parses `{tier?, overrides?}`; `tiers` are the configured tier names besides `default`. */
export function parseLimitsChange(body: unknown, tiers: readonly string[]): LimitsChange {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('The body must be a JSON object with tier and/or overrides.', 'body');
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (k !== 'tier' && k !== 'overrides') throw bad(`Unknown field '${k.slice(0, 40)}'; expected tier and/or overrides.`, k.slice(0, 40));
  if (b.tier === undefined && b.overrides === undefined) throw bad('Give tier, overrides or both.', 'tier');
  const change: { tier?: string; overrides?: LimitOverrides } = {};
  if (b.tier !== undefined) {
    if (typeof b.tier !== 'string' || (b.tier !== 'default' && !tiers.includes(b.tier))) {
      throw bad(`tier must be one of: ${['default', ...tiers].join(', ')}`, 'tier');
    }
    change.tier = b.tier;
  }
  if (b.overrides !== undefined) change.overrides = parseOverrides(b.overrides);
  return change;
}

/** Parses an overrides object: only the five limit names, each a whole number at least its minimum or null (unlimited). */
export function parseOverrides(raw: unknown): LimitOverrides {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad(`overrides must be an object of ${Object.keys(LIMIT_FIELDS).join(', ')} ({} clears them)`, 'overrides');
  const out: LimitOverrides = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const problem = limitValueProblem(name, value);
    if (problem) throw bad(`overrides: ${problem}`, `overrides.${name.slice(0, 40)}`);
    out[name] = value as number | null;
  }
  return out;
}
