// The only place the web app touches the verifier library (src/verify, shared with
// `cloister verify`), so the browser runs exactly the auditor's code.
import { verifyReport, verifyTextSignature, signedText } from '../../verify/index.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';
export interface Check { id: string; status: CheckStatus; detail: string }
export interface Verdict { ok: boolean; checks: Check[] }

/**
 * Verifies a report against the nonce made in this browser. A simulated report is accepted
 * only as simulated: the page labels it so, and its `simulated` check says what it proves.
 */
export async function verifyAttestation(report: unknown, nonceHex: string): Promise<Verdict> {
  const simulated = (report as { gateway_attestation?: { simulated?: unknown } })?.gateway_attestation?.simulated === true;
  try {
    const result = await verifyReport(report, { nonce: nonceHex, allowSimulated: simulated });
    return { ok: result.ok, checks: result.checks.map((c) => ({ id: c.id, status: c.status, detail: c.detail })) };
  } catch (e) {
    return { ok: false, checks: [{ id: 'report', status: 'fail', detail: `The report could not be read: ${(e as Error).message}` }] };
  }
}

/** Recomputes both hashes from the bytes kept in this browser and checks the signature against the attested key. */
export async function verifyResponseSignature(input: { requestBytes: Uint8Array; responseBytes: Uint8Array; text: string; signature: string; signingAddress: string; signingAlgo: string; attestedAddress: string }): Promise<Check> {
  const id = 'signature.response';
  const expected = signedText(input.requestBytes, input.responseBytes);
  if (expected !== input.text) return { id, status: 'fail', detail: 'The signed hashes do not match the bytes this browser sent and received.' };
  if (input.signingAddress.toLowerCase() !== input.attestedAddress.toLowerCase()) return { id, status: 'fail', detail: 'The reply was signed by a key other than the attested one.' };
  try {
    const ok = verifyTextSignature(input.text, input.signature, input.signingAddress, input.signingAlgo);
    return ok
      ? { id, status: 'pass', detail: `Signature by the attested ${input.signingAlgo} key over sha256(request):sha256(response) verifies.` }
      : { id, status: 'fail', detail: 'The signature does not verify.' };
  } catch (e) {
    return { id, status: 'fail', detail: `The signature could not be checked: ${(e as Error).message}` };
  }
}
