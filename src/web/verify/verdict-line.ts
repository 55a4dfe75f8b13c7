// The one-line answer people read first on the verify page.
import type { Check } from './verifier.ts';

export interface VerdictLine { kind: 'genuine' | 'simulated' | 'failed'; text: string }

export function verdictLine(checks: readonly Check[], simulated: boolean): VerdictLine {
  const failed = checks.filter((c) => c.status === 'fail' && c.id !== 'simulated');
  if (failed.length > 0) {
    return { kind: 'failed', text: `Verification failed — ${failed.length === 1 ? 'one check' : `${failed.length} checks`} did not pass. Do not trust this server with anything private.` };
  }
  if (simulated) return { kind: 'simulated', text: 'Simulated — proves nothing. This server is not running on confidential hardware.' };
  return { kind: 'genuine', text: 'This server runs the published code on genuine Intel TDX hardware.' };
}
