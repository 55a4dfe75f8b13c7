// Small constructors for check results, so every check reads the same way.
import type { Check, CheckId } from './types.ts';

/** A passing check. */
export const pass = (id: CheckId, detail: string, required = true): Check => ({ id, status: 'pass', detail, required });
/** A failing check. */
export const fail = (id: CheckId, detail: string, required = true): Check => ({ id, status: 'fail', detail, required });
/** A check that could not or need not run; `brief` is the reason the verdict line names it with. */
export const skip = (id: CheckId, detail: string, brief: string, required = true): Check => ({ id, status: 'skip', detail, required, brief });

/** The message of anything thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
