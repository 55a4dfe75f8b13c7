// Small constructors for check results, so every check reads the same way.
import type { Check, CheckId } from './types.ts';

// `required` is decided by verifyReport (from --require and the policy), not by the checks.

/** A passing check. */
export const pass = (id: CheckId, detail: string): Check => ({ id, status: 'pass', detail, required: false });
/** A failing check. */
export const fail = (id: CheckId, detail: string): Check => ({ id, status: 'fail', detail, required: false });
/** A check that could not or need not run; `brief` is the reason the verdict line names it with. */
export const skip = (id: CheckId, detail: string, brief: string): Check => ({ id, status: 'skip', detail, required: false, brief });

/** The message of anything thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
