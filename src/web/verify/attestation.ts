// Fetches a fresh attestation report for a nonce made here, and verifies it with the library.
import { api } from '../api/http.ts';
import { randomNonceHex } from '../lib/bytes.ts';
import { verifyAttestation, type Verdict } from './verifier.ts';

export interface GatewayAttestation {
  signing_address: string;
  signing_algo: string;
  request_nonce: string;
  report_data: string;
  simulated: boolean;
  build?: { version?: string; git_commit?: string; source_date_epoch?: string | number };
  info?: { app_id?: string; compose_hash?: string; instance_id?: string };
}
export interface AttestationReport { gateway_attestation: GatewayAttestation; model_attestations?: unknown; upstream_error?: string }

export interface AttestationResult {
  nonce: string;
  report: AttestationReport;
  verdict: Verdict;
  checkedAt: Date;
}

let lastGood: AttestationResult | null = null;

/** A fresh nonce, a fresh report, the verifier's verdict. */
export async function attest(signingAlgo: 'ecdsa' | 'ed25519' = 'ecdsa'): Promise<AttestationResult> {
  const nonce = randomNonceHex();
  const report = await api<AttestationReport>(`/v1/attestation/report?nonce=${nonce}&signing_algo=${signingAlgo}`);
  const verdict = await verifyAttestation(report, nonce);
  const result = { nonce, report, verdict, checkedAt: new Date() };
  if (verdict.checks.every((c) => c.status !== 'fail' || c.id === 'simulated')) lastGood = result;
  return result;
}

/** The most recent attestation whose checks passed (simulated allowed, and shown as such). */
export async function attestedOnce(): Promise<AttestationResult> {
  return lastGood ?? attest();
}
