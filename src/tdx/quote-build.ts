// Serializer for TDX quotes with the real v4/v5 layout. The attestation simulator uses it to
// produce quotes signed by its own keys, so the verifier's code path is the one auditors run.
// Signing is injected (a callback), so this module stays free of key handling.
import { sha256 } from '@noble/hashes/sha2.js';
import { TdxFormatError, concatBytes, fixedBytes, hexToBytes, u16le, u32le, utf8 } from './bytes.ts';
import {
  ATT_KEY_TYPE_ECDSA_P256, BODY_TYPE_TD10, BODY_TYPE_TD15, CERT_TYPE_PCK_CHAIN, CERT_TYPE_QE_REPORT,
  ECDSA_KEY_LEN, ECDSA_SIG_LEN, ENCLAVE_REPORT, ENCLAVE_REPORT_LEN, HEADER_LEN, INTEL_QE_VENDOR_ID,
  TD_BODY, TD_REPORT10_LEN, TD_REPORT15_LEN, TEE_TYPE_TDX,
} from './quote-layout.ts';
import type { TdReportBody } from './quote-parse.ts';

/** Header fields; everything defaults to a v4 TDX quote with Intel's QE vendor id. */
export interface QuoteHeaderInput {
  version?: 4 | 5;
  attestationKeyType?: number;
  teeType?: number;
  qeSvn?: number;
  pceSvn?: number;
  qeVendorId?: Uint8Array;
  userData?: Uint8Array;
}

/** TD report body fields; omitted fields are zero. v5 quotes with `teeTcbSvn2`/`mrServiceTd` get body type 3. */
export type TdReportBodyInput = Partial<TdReportBody>;

/** Fields of the QE's enclave report; `reportData` is computed when building a quote. */
export interface EnclaveReportInput {
  cpuSvn?: Uint8Array;
  miscSelect?: number;
  attributes?: Uint8Array;
  mrEnclave?: Uint8Array;
  mrSigner?: Uint8Array;
  isvProdId?: number;
  isvSvn?: number;
  reportData?: Uint8Array;
}

/** Signs bytes with P-256/SHA-256 and returns the raw 64-byte r‖s signature. */
export type P256Signer = (message: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** Everything needed to build a signed quote. */
export interface BuildQuoteInput {
  header?: QuoteHeaderInput;
  body: TdReportBodyInput;
  /** Signs header‖body with the attestation key. */
  sign: P256Signer;
  /** Attestation public key: 64 bytes x‖y, or 65 bytes with the 0x04 prefix. */
  attestationPublicKey: Uint8Array;
  /** QE authentication data (any length up to 65535; default 32 zero bytes, like Intel's QE). */
  qeAuthData?: Uint8Array;
  /** A complete 384-byte QE report, or its fields (report data then = sha256(attestation key ‖ QE auth data)). */
  qeReport?: Uint8Array | EnclaveReportInput;
  /** Signature of the QE report by the PCK key, or a signer that produces it. */
  qeReportSignature?: Uint8Array;
  signQeReport?: P256Signer;
  /** PCK certificate chain in PEM, leaf first, ending with the root. */
  certChainPem: string;
}

function encodeBody(body: TdReportBodyInput, bodyType: number): Uint8Array {
  const len = bodyType === BODY_TYPE_TD15 ? TD_REPORT15_LEN : TD_REPORT10_LEN;
  const out = new Uint8Array(len);
  for (const [name, spec] of Object.entries(TD_BODY) as [keyof TdReportBody, readonly [number, number]][]) {
    if (spec[0] + spec[1] > len) {
      if (body[name] !== undefined) throw new TdxFormatError('bad_body', `${name} needs a v5 quote with a TDX 1.5 body`);
      continue;
    }
    out.set(fixedBytes(body[name], spec[1], name), spec[0]);
  }
  return out;
}

/** Serialize the 48-byte header. */
export function encodeHeader(h: QuoteHeaderInput = {}): Uint8Array {
  return concatBytes(
    u16le(h.version ?? 4),
    u16le(h.attestationKeyType ?? ATT_KEY_TYPE_ECDSA_P256),
    u32le(h.teeType ?? TEE_TYPE_TDX),
    u16le(h.qeSvn ?? 0),
    u16le(h.pceSvn ?? 0),
    fixedBytes(h.qeVendorId ?? hexToBytes(INTEL_QE_VENDOR_ID), 16, 'qeVendorId'),
    fixedBytes(h.userData, 20, 'userData'),
  );
}

/** Serialize a 384-byte SGX enclave report (for the QE report). */
export function encodeEnclaveReport(r: EnclaveReportInput): Uint8Array {
  const out = new Uint8Array(ENCLAVE_REPORT_LEN);
  out.set(fixedBytes(r.cpuSvn, 16, 'cpuSvn'), ENCLAVE_REPORT.cpuSvn[0]);
  out.set(u32le(r.miscSelect ?? 0), ENCLAVE_REPORT.miscSelect[0]);
  out.set(fixedBytes(r.attributes, 16, 'attributes'), ENCLAVE_REPORT.attributes[0]);
  out.set(fixedBytes(r.mrEnclave, 32, 'mrEnclave'), ENCLAVE_REPORT.mrEnclave[0]);
  out.set(fixedBytes(r.mrSigner, 32, 'mrSigner'), ENCLAVE_REPORT.mrSigner[0]);
  out.set(u16le(r.isvProdId ?? 0), ENCLAVE_REPORT.isvProdId[0]);
  out.set(u16le(r.isvSvn ?? 0), ENCLAVE_REPORT.isvSvn[0]);
  out.set(fixedBytes(r.reportData, 64, 'reportData'), ENCLAVE_REPORT.reportData[0]);
  return out;
}

/** The QE report data a verifier expects: sha256(attestation key ‖ QE auth data) then 32 zero bytes. */
export function qeReportDataFor(attestationKey: Uint8Array, qeAuthData: Uint8Array): Uint8Array {
  return concatBytes(sha256(concatBytes(rawKey(attestationKey), qeAuthData)), new Uint8Array(32));
}

function rawKey(k: Uint8Array): Uint8Array {
  if (k.length === ECDSA_KEY_LEN + 1 && k[0] === 0x04) return k.subarray(1);
  if (k.length !== ECDSA_KEY_LEN) throw new TdxFormatError('bad_length', `attestation key must be 64 bytes (x‖y) or 65 with 0x04, got ${k.length}`);
  return k;
}

function checkSig(sig: Uint8Array, what: string): Uint8Array {
  if (sig.length !== ECDSA_SIG_LEN) throw new TdxFormatError('bad_length', `${what} must be a raw 64-byte r‖s signature, got ${sig.length} bytes`);
  return sig;
}

/** The signed part of a quote (header and body); what `sign` receives. */
export function encodeSignedPart(header: QuoteHeaderInput | undefined, body: TdReportBodyInput): Uint8Array {
  const version = header?.version ?? 4;
  const td15 = body.teeTcbSvn2 !== undefined || body.mrServiceTd !== undefined;
  if (version === 4) return concatBytes(encodeHeader({ ...header, version }), encodeBody(body, BODY_TYPE_TD10));
  const bodyType = td15 ? BODY_TYPE_TD15 : BODY_TYPE_TD10;
  const encoded = encodeBody(body, bodyType);
  return concatBytes(encodeHeader({ ...header, version }), u16le(bodyType), u32le(encoded.length), encoded);
}

/** Build a complete signed quote: header ‖ body ‖ u32 len ‖ sig ‖ key ‖ cert data type 6 (QE report, its signature, auth data, PCK chain). */
export async function buildQuote(input: BuildQuoteInput): Promise<Uint8Array> {
  const signed = encodeSignedPart(input.header, input.body);
  if (signed.length < HEADER_LEN) throw new TdxFormatError('bad_quote', 'signed part too short');
  const attKey = rawKey(input.attestationPublicKey);
  const authData = input.qeAuthData ?? new Uint8Array(32);
  if (authData.length > 0xffff) throw new TdxFormatError('bad_length', 'qeAuthData is longer than 65535 bytes');

  const qeReport = input.qeReport instanceof Uint8Array
    ? fixedBytes(input.qeReport, ENCLAVE_REPORT_LEN, 'qeReport')
    : encodeEnclaveReport({ ...input.qeReport, reportData: input.qeReport?.reportData ?? qeReportDataFor(attKey, authData) });
  let qeSig: Uint8Array;
  if (input.qeReportSignature !== undefined) qeSig = input.qeReportSignature;
  else if (input.signQeReport !== undefined) qeSig = await input.signQeReport(qeReport);
  else throw new TdxFormatError('bad_input', 'buildQuote needs qeReportSignature or signQeReport');

  const chain = utf8(input.certChainPem);
  const inner = concatBytes(u16le(CERT_TYPE_PCK_CHAIN), u32le(chain.length), chain);
  const qeCertData = concatBytes(qeReport, checkSig(qeSig, 'qeReportSignature'), u16le(authData.length), authData, inner);
  const sig = checkSig(await input.sign(signed), 'quote signature');
  const sigData = concatBytes(sig, attKey, u16le(CERT_TYPE_QE_REPORT), u32le(qeCertData.length), qeCertData);
  return concatBytes(signed, u32le(sigData.length), sigData);
}
