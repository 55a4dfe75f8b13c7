// The only place the web app touches the verifier library (src/verify, shared with
// `cloister verify`), so the browser runs exactly the auditor's code.
// TEMPORARY: until src/verify lands this reports every check as unavailable.

export type CheckStatus = 'pass' | 'fail' | 'skip';
export interface Check { id: string; status: CheckStatus; detail: string }
export interface Verdict { ok: boolean; checks: Check[] }

export async function verifyAttestation(report: unknown, nonceHex: string): Promise<Verdict> {
  void report; void nonceHex;
  return { ok: false, checks: [{ id: 'verifier', status: 'fail', detail: 'The verifier library is not available in this build.' }] };
}

export async function verifyResponseSignature(input: { requestBytes: Uint8Array; responseBytes: Uint8Array; text: string; signature: string; signingAddress: string; signingAlgo: string; attestedAddress: string }): Promise<Check> {
  void input;
  return { id: 'signature.response', status: 'fail', detail: 'The verifier library is not available in this build.' };
}
