// Checks on the quote itself: it parses as TDX, the attestation key signed it, the QE (signed
// by the PCK key) vouches for the attestation key, and the PCK chain ends at a trusted root.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, concatBytes, hexToBytes, isAllZero } from '../tdx/bytes.ts';
import { INTEL_QE_VENDOR_ID, TEE_TYPE_TDX, ATT_KEY_TYPE_ECDSA_P256 } from '../tdx/quote-layout.ts';
import { parseQuote, type TdxQuote } from '../tdx/quote-parse.ts';
import { errorText, fail, pass } from './check.ts';
import { parsePemChain, verifyChain, signedBy } from './pck-chain.ts';
import { verifyP256 } from './p256.ts';
import type { x509 } from './x509.ts';
import type { Check } from './types.ts';

type Cert = InstanceType<typeof x509.X509Certificate>;

/** quote.parse: decode hex, parse, require TDX with an ECDSA-P256 attestation key. */
export function checkQuoteParse(quoteHex: unknown): { check: Check; quote?: TdxQuote } {
  if (typeof quoteHex !== 'string' || quoteHex.length === 0) return { check: fail('quote.parse', 'report has no intel_quote') };
  let quote: TdxQuote;
  try {
    quote = parseQuote(hexToBytes(quoteHex, 'intel_quote'));
  } catch (e) {
    return { check: fail('quote.parse', errorText(e)) };
  }
  const h = quote.header;
  if (h.teeType !== TEE_TYPE_TDX) return { check: fail('quote.parse', `TEE type 0x${h.teeType.toString(16)} is not TDX (0x81)`) };
  if (h.attestationKeyType !== ATT_KEY_TYPE_ECDSA_P256) return { check: fail('quote.parse', `attestation key type ${h.attestationKeyType} is not ECDSA-P256 (2)`) };
  const vendor = Array.from(h.qeVendorId, (b) => b.toString(16).padStart(2, '0')).join('');
  const note = vendor === INTEL_QE_VENDOR_ID ? 'Intel QE' : `QE vendor ${vendor}`;
  return {
    check: pass('quote.parse', `TDX quote v${h.version}, ${quote.raw.length} bytes, TD report body type ${quote.bodyType}, ${note}`),
    quote,
  };
}

/** quote.signature: ECDSA P-256 over header ‖ body by the attestation key in the quote. */
export async function checkQuoteSignature(q: TdxQuote): Promise<Check> {
  const pub = concatBytes(Uint8Array.of(4), q.attestationKey);
  // Intel's QE does not normalise s, so high-S signatures are valid here (WebCrypto accepts them).
  return (await verifyP256(q.signature, q.signedBytes, pub))
    ? pass('quote.signature', `header and TD report (${q.signedBytes.length} bytes) signed by the attestation key`)
    : fail('quote.signature', 'quote signature does not verify with the attestation key');
}

/** quote.qe_report: QE report signed by the PCK leaf; its report data = sha256(attestation key ‖ QE auth data). */
export async function checkQeReport(q: TdxQuote, pckLeaf: Cert | undefined): Promise<Check> {
  const expected = sha256(concatBytes(q.attestationKey, q.qeAuthData));
  const rd = q.qeReportParsed.reportData;
  if (!bytesEqual(rd.subarray(0, 32), expected) || !isAllZero(rd.subarray(32))) {
    return fail('quote.qe_report', 'QE report data is not sha256(attestation key ‖ QE auth data): the attestation key is not vouched for');
  }
  if (!pckLeaf) return fail('quote.qe_report', 'no PCK certificate to check the QE report signature with');
  const spki = new Uint8Array(pckLeaf.publicKey.rawData);
  // The PCK key is an uncompressed P-256 point at the end of the SubjectPublicKeyInfo.
  const pub = spki.subarray(spki.length - 65);
  const ok = await verifyP256(q.qeReportSignature, q.qeReport, pub);
  return ok
    ? pass('quote.qe_report', `QE report (ISV SVN ${q.qeReportParsed.isvSvn}) signed by the PCK key and binds the attestation key`)
    : fail('quote.qe_report', 'QE report signature does not verify with the PCK certificate key');
}

/** How the chain check treats the quote's own root. */
export interface ChainPolicy {
  roots: Cert[];
  /** Accept the chain's self-signed top certificate (simulated mode, see verify-report.ts). */
  acceptOwnRoot: boolean;
  at: Date;
}

/** quote.pck_chain: the PCK chain in the quote verifies up to a trusted root at `at`. */
export async function checkPckChain(q: TdxQuote, policy: ChainPolicy): Promise<{ check: Check; chain?: Cert[] }> {
  let chain: Cert[];
  try {
    chain = parsePemChain(q.pckCertChainPem);
  } catch (e) {
    return { check: fail('quote.pck_chain', `PCK chain: ${errorText(e)}`) };
  }
  let roots = policy.roots;
  let own = '';
  const top = chain[chain.length - 1] as Cert;
  if (policy.acceptOwnRoot && top.subject === top.issuer && (await signedBy(top, top))) {
    roots = [...roots, top];
    own = ' (simulated root accepted: --allow-simulated and the report says simulated)';
  }
  const r = await verifyChain(chain, roots, policy.at);
  return r.ok
    ? { check: pass('quote.pck_chain', `${r.detail}${own}`), chain }
    : { check: fail('quote.pck_chain', r.detail), chain };
}
