// The model provider's attestations, in the shape NEAR's and Phala's verifiers read: Cloister's
// report carries `model_attestations` as an array of attestation objects, each the provider's
// own text byte for byte. Providers answer /attestation/report in three shapes: NEAR AI Cloud's
// {"gateway_attestation", "model_attestations": [...]}, an older {"all_attestations": [...]},
// and a single attestation object (private-ml-sdk's vllm-proxy). Each object must be what
// nearai-cloud-verifier's parseAttestation accepts — non-empty intel_quote, signing_address and
// signing_algo, an info object, nvidia_payload and tls_cert_fingerprint strings or null, an
// event_log string or array — or the whole provider report is refused (with the reason), since
// one malformed element makes those verifiers reject Cloister's report.
import { arrayElements, objectMembers, type Span } from '../verify/raw-json.ts';

/** The provider's attestation objects as exact text, or why there are none. */
export type ModelAttestations = { readonly items: readonly string[] } | { readonly error: string };

function shapeProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'is not an object';
  const o = v as Record<string, unknown>;
  for (const k of ['intel_quote', 'signing_address', 'signing_algo']) {
    if (typeof o[k] !== 'string' || o[k] === '') return `has no ${k}`;
  }
  if (typeof o['info'] !== 'object' || o['info'] === null || Array.isArray(o['info'])) return 'has no info object';
  for (const k of ['nvidia_payload', 'tls_cert_fingerprint']) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'string') return `has a ${k} that is neither a string nor null`;
  }
  if (o['event_log'] !== undefined && typeof o['event_log'] !== 'string' && !Array.isArray(o['event_log'])) return 'has an event_log that is neither a string nor an array';
  return null;
}

const address = (s: unknown): string => String(s).trim().replace(/^0x/i, '').toLowerCase();

/** Extracts the attestation objects from a provider report (`raw`, already valid JSON); with `signingAddress`, only that signer's. */
export function modelAttestationsOf(raw: string, signingAddress: string | null): ModelAttestations {
  let spans: Span[];
  try {
    const top = objectMembers(raw);
    const list = top.get('model_attestations') ?? top.get('all_attestations');
    if (list) spans = arrayElements(raw, list);
    else if (top.has('intel_quote')) spans = [{ start: raw.search(/\S/), end: raw.trimEnd().length }];
    else return { error: 'the provider report has no model_attestations and is no attestation itself' };
    for (const s of spans) if (raw[s.start] === '{') objectMembers(raw, s);
  } catch (e) {
    return { error: `the provider report is not usable: ${(e as Error).message}` };
  }
  const items: string[] = [];
  for (const [i, s] of spans.entries()) {
    const text = raw.slice(s.start, s.end);
    const value = JSON.parse(text) as Record<string, unknown>;
    const problem = shapeProblem(value);
    if (problem !== null) return { error: `provider attestation ${i} ${problem}` };
    if (signingAddress === null || address(value['signing_address']) === signingAddress) items.push(text);
  }
  return { items };
}
