// The verdict line. PASS only when no check failed and every check the auditor required (with
// --require or the policy's "require") actually ran; every skipped check is named, with its
// reason, so "PASS" never claims more than was checked.
import type { Check } from './types.ts';

const named = (c: Check): string => `${c.id} (${c.brief ?? 'skipped'})`;

/** ok and the one-line verdict for a list of checks. */
export function verdictOf(checks: readonly Check[]): { ok: boolean; verdict: string } {
  const failed = checks.filter((c) => c.status === 'fail');
  const skipped = checks.filter((c) => c.status === 'skip');
  const requiredSkipped = skipped.filter((c) => c.required);
  const optionalSkipped = skipped.filter((c) => !c.required);
  const ok = failed.length === 0 && requiredSkipped.length === 0;
  if (ok) return { ok, verdict: skipped.length ? `PASS, skipped: ${skipped.map(named).join(', ')}` : 'PASS — every check ran and passed' };
  const parts: string[] = [];
  if (failed.length) parts.push(failed.map((c) => c.id).join(', '));
  if (requiredSkipped.length) parts.push(`required but skipped: ${requiredSkipped.map(named).join(', ')}`);
  if (optionalSkipped.length) parts.push(`skipped: ${optionalSkipped.map(named).join(', ')}`);
  return { ok, verdict: `FAIL — ${parts.join('; ')}` };
}
