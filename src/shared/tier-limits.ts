// The vocabulary of limit values shared by configuration (RATE_LIMIT_TIERS), admin overrides
// and per-key caps: their JSON names, their least values, and how a tier object is checked.

/** A tier's per-user limits on inference routes; null = unlimited. */
export interface TierLimits {
  readonly rpm: number | null;
  readonly tpm: number | null;
  readonly concurrency: number | null;
  readonly dailyTokens: number | null;
  readonly monthlyTokens: number | null;
}

/** The JSON names of tier limits (RATE_LIMIT_TIERS, admin overrides) and their least values. */
export const LIMIT_FIELDS = { rpm: 'rpm', tpm: 'tpm', concurrency: 'concurrency', daily_tokens: 'dailyTokens', monthly_tokens: 'monthlyTokens' } as const;
const LIMIT_MINIMUM: Record<keyof typeof LIMIT_FIELDS, number> = { rpm: 1, tpm: 1, concurrency: 0, daily_tokens: 0, monthly_tokens: 0 };

/** Checks one limit value: a whole number at least the field's minimum, or null (unlimited). */
export function limitValueProblem(field: string, value: unknown): string | null {
  if (!(field in LIMIT_FIELDS)) return `unknown limit '${field}' (known: ${Object.keys(LIMIT_FIELDS).join(', ')})`;
  if (value === null) return null;
  const min = LIMIT_MINIMUM[field as keyof typeof LIMIT_FIELDS];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) return `${field} must be null or a whole number >= ${min}`;
  return null;
}

/** RATE_LIMIT_TIERS: {"<tier>": {"rpm": 600, "daily_tokens": null, ...}}; unnamed fields follow the default tier. */
export function parseTiers(raw: unknown, problems: string[]): Record<string, Partial<TierLimits>> {
  const out: Record<string, Partial<TierLimits>> = {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push('RATE_LIMIT_TIERS must be a JSON object of tier name -> limits');
    return out;
  }
  for (const [name, limits] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name) || name === 'default') {
      problems.push(`RATE_LIMIT_TIERS: tier name '${name.slice(0, 40)}' must be 1-32 of a-z 0-9 _ - and not 'default' (set the default tier with RATE_LIMIT_* and BUDGET_*)`);
      continue;
    }
    if (limits === null || typeof limits !== 'object' || Array.isArray(limits)) {
      problems.push(`RATE_LIMIT_TIERS.${name} must be an object of limits`);
      continue;
    }
    const tier: Record<string, number | null> = {};
    for (const [field, value] of Object.entries(limits as Record<string, unknown>)) {
      const problem = limitValueProblem(field, value);
      if (problem) problems.push(`RATE_LIMIT_TIERS.${name}: ${problem}`);
      else tier[LIMIT_FIELDS[field as keyof typeof LIMIT_FIELDS]] = value as number | null;
    }
    out[name] = tier as Partial<TierLimits>;
  }
  return out;
}
