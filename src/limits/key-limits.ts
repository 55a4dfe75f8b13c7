// Caps a user puts on one of their API keys (e.g. a key handed to a script): requests and
// tokens per minute and concurrent requests. The owner's own limits still apply on top.
import { AppError } from '../errors.ts';
import { limitValueProblem } from '../shared/tier-limits.ts';

const KEY_LIMIT_FIELDS = ['rpm', 'tpm', 'concurrency'] as const;

/** Validates `limits` of a new key: absent = no caps; each field a whole number (rpm, tpm >= 1). */
export function parseKeyLimits(raw: unknown): Record<string, number> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new AppError('invalid_request', `limits must be an object of ${KEY_LIMIT_FIELDS.join(', ')}`, { param: 'limits' });
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
    const param = `limits.${field.slice(0, 40)}`;
    if (!(KEY_LIMIT_FIELDS as readonly string[]).includes(field)) {
      throw new AppError('invalid_request', `unknown key limit '${field.slice(0, 40)}' (known: ${KEY_LIMIT_FIELDS.join(', ')})`, { param });
    }
    const problem = value === null ? `${field} must be a whole number (leave it out for no cap)` : limitValueProblem(field, value);
    if (problem) throw new AppError('invalid_request', problem, { param });
    out[field] = value as number;
  }
  return out;
}
