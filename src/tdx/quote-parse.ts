// Parser for TDX DCAP quotes v4 and v5. Every length is checked against the buffer before it is
// used, and every failure names the field, so a verifier can say exactly why a quote is bad.
import { TdxFormatError, isAllZero, readU16, readU32 } from './bytes.ts';
import {
  BODY_TYPE_TD10, BODY_TYPE_TD15, CERT_TYPE_PCK_CHAIN, CERT_TYPE_QE_REPORT, ECDSA_KEY_LEN, ECDSA_SIG_LEN,
  ENCLAVE_REPORT, ENCLAVE_REPORT_LEN, HEADER, HEADER_LEN, TD_BODY, TD_REPORT10_LEN, TD_REPORT15_LEN,
} from './quote-layout.ts';

/** Quote header (48 bytes). */
export interface QuoteHeader {
  version: number;
  attestationKeyType: number;
  teeType: number;
  qeSvn: number;
  pceSvn: number;
  qeVendorId: Uint8Array;
  userData: Uint8Array;
}

/** TD report body (TDX 1.0 fields; the two TDX 1.5 fields only for v5 body type 3). */
export interface TdReportBody {
  teeTcbSvn: Uint8Array;
  mrSeam: Uint8Array;
  mrSignerSeam: Uint8Array;
  seamAttributes: Uint8Array;
  tdAttributes: Uint8Array;
  xfam: Uint8Array;
  mrTd: Uint8Array;
  mrConfigId: Uint8Array;
  mrOwner: Uint8Array;
  mrOwnerConfig: Uint8Array;
  rtmr0: Uint8Array;
  rtmr1: Uint8Array;
  rtmr2: Uint8Array;
  rtmr3: Uint8Array;
  reportData: Uint8Array;
  teeTcbSvn2?: Uint8Array;
  mrServiceTd?: Uint8Array;
}

/** SGX enclave report, as used for the Quoting Enclave's report. */
export interface EnclaveReport {
  cpuSvn: Uint8Array;
  miscSelect: number;
  attributes: Uint8Array;
  mrEnclave: Uint8Array;
  mrSigner: Uint8Array;
  isvProdId: number;
  isvSvn: number;
  reportData: Uint8Array;
}

/** A parsed quote; byte fields are views into `raw`. */
export interface TdxQuote {
  raw: Uint8Array;
  header: QuoteHeader;
  /** 2 = TDX 1.0 (always for v4), 3 = TDX 1.5 (v5 only). */
  bodyType: number;
  bodyOffset: number;
  body: TdReportBody;
  /** The bytes covered by the attestation key's signature: header and body (v5: with its type/size). */
  signedBytes: Uint8Array;
  /** Raw r‖s P-256 signature over `signedBytes`. */
  signature: Uint8Array;
  /** Raw x‖y P-256 attestation public key. */
  attestationKey: Uint8Array;
  /** The QE report (384 bytes) signed by the PCK key. */
  qeReport: Uint8Array;
  qeReportParsed: EnclaveReport;
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  /** PCK certificate chain, PEM, leaf first (certification data type 5). */
  pckCertChainPem: string;
  /** Zero bytes after the signature data (dstack pads quotes); non-zero trailing data is rejected. */
  trailingBytes: number;
}

function fail(field: string, message: string): never {
  throw new TdxFormatError('bad_quote', `quote ${field}: ${message}`);
}

function need(q: Uint8Array, off: number, len: number, field: string): void {
  if (off + len > q.length) fail(field, `needs bytes ${off}..${off + len} but the quote has ${q.length}`);
}

function field(q: Uint8Array, base: number, spec: readonly [number, number]): Uint8Array {
  return q.subarray(base + spec[0], base + spec[0] + spec[1]);
}

/** Parse the 48-byte header. */
export function parseHeader(q: Uint8Array): QuoteHeader {
  need(q, 0, HEADER_LEN, 'header');
  return {
    version: readU16(q, HEADER.version),
    attestationKeyType: readU16(q, HEADER.attestationKeyType),
    teeType: readU32(q, HEADER.teeType),
    qeSvn: readU16(q, HEADER.qeSvn),
    pceSvn: readU16(q, HEADER.pceSvn),
    qeVendorId: q.subarray(HEADER.qeVendorId, HEADER.qeVendorId + 16),
    userData: q.subarray(HEADER.userData, HEADER.userData + 20),
  };
}

/** Parse a TD report body (584 or 648 bytes) starting at `base`. */
export function parseTdReportBody(q: Uint8Array, base: number, bodyType: number): TdReportBody {
  const len = bodyType === BODY_TYPE_TD15 ? TD_REPORT15_LEN : TD_REPORT10_LEN;
  need(q, base, len, 'TD report body');
  const body: TdReportBody = {
    teeTcbSvn: field(q, base, TD_BODY.teeTcbSvn),
    mrSeam: field(q, base, TD_BODY.mrSeam),
    mrSignerSeam: field(q, base, TD_BODY.mrSignerSeam),
    seamAttributes: field(q, base, TD_BODY.seamAttributes),
    tdAttributes: field(q, base, TD_BODY.tdAttributes),
    xfam: field(q, base, TD_BODY.xfam),
    mrTd: field(q, base, TD_BODY.mrTd),
    mrConfigId: field(q, base, TD_BODY.mrConfigId),
    mrOwner: field(q, base, TD_BODY.mrOwner),
    mrOwnerConfig: field(q, base, TD_BODY.mrOwnerConfig),
    rtmr0: field(q, base, TD_BODY.rtmr0),
    rtmr1: field(q, base, TD_BODY.rtmr1),
    rtmr2: field(q, base, TD_BODY.rtmr2),
    rtmr3: field(q, base, TD_BODY.rtmr3),
    reportData: field(q, base, TD_BODY.reportData),
  };
  if (bodyType === BODY_TYPE_TD15) {
    body.teeTcbSvn2 = field(q, base, TD_BODY.teeTcbSvn2);
    body.mrServiceTd = field(q, base, TD_BODY.mrServiceTd);
  }
  return body;
}

/** Parse a 384-byte SGX enclave report (the QE report). */
export function parseEnclaveReport(r: Uint8Array): EnclaveReport {
  if (r.length !== ENCLAVE_REPORT_LEN) fail('QE report', `must be ${ENCLAVE_REPORT_LEN} bytes, got ${r.length}`);
  return {
    cpuSvn: field(r, 0, ENCLAVE_REPORT.cpuSvn),
    miscSelect: readU32(r, ENCLAVE_REPORT.miscSelect[0]),
    attributes: field(r, 0, ENCLAVE_REPORT.attributes),
    mrEnclave: field(r, 0, ENCLAVE_REPORT.mrEnclave),
    mrSigner: field(r, 0, ENCLAVE_REPORT.mrSigner),
    isvProdId: readU16(r, ENCLAVE_REPORT.isvProdId[0]),
    isvSvn: readU16(r, ENCLAVE_REPORT.isvSvn[0]),
    reportData: field(r, 0, ENCLAVE_REPORT.reportData),
  };
}

/** Parse a TDX quote (v4, or v5 with a TD report body); throws TdxFormatError with the failing field. */
export function parseQuote(raw: Uint8Array): TdxQuote {
  const header = parseHeader(raw);
  let bodyType: number;
  let bodyOffset: number;
  let bodyLen: number;
  if (header.version === 4) {
    bodyType = BODY_TYPE_TD10;
    bodyOffset = HEADER_LEN;
    bodyLen = TD_REPORT10_LEN;
  } else if (header.version === 5) {
    need(raw, HEADER_LEN, 6, 'v5 body descriptor');
    bodyType = readU16(raw, HEADER_LEN);
    bodyLen = readU32(raw, HEADER_LEN + 2);
    bodyOffset = HEADER_LEN + 6;
    const expected = bodyType === BODY_TYPE_TD10 ? TD_REPORT10_LEN : bodyType === BODY_TYPE_TD15 ? TD_REPORT15_LEN : -1;
    if (expected < 0) fail('v5 body type', `${bodyType} is not a TD report (2 = TDX 1.0, 3 = TDX 1.5)`);
    if (bodyLen !== expected) fail('v5 body size', `${bodyLen} does not match body type ${bodyType} (${expected})`);
  } else {
    fail('version', `${header.version} is not supported (4 or 5)`);
  }
  const body = parseTdReportBody(raw, bodyOffset, bodyType);
  const signedLength = bodyOffset + bodyLen;

  let o = signedLength;
  need(raw, o, 4, 'signature data length');
  const sigDataLen = readU32(raw, o);
  o += 4;
  const sigEnd = o + sigDataLen;
  need(raw, o, sigDataLen, 'signature data');
  const within = (len: number, name: string): void => {
    if (o + len > sigEnd) fail(name, `runs past the signature data (${o + len} > ${sigEnd})`);
  };

  within(ECDSA_SIG_LEN + ECDSA_KEY_LEN + 6, 'signature/attestation key');
  const signature = raw.subarray(o, o + ECDSA_SIG_LEN);
  o += ECDSA_SIG_LEN;
  const attestationKey = raw.subarray(o, o + ECDSA_KEY_LEN);
  o += ECDSA_KEY_LEN;
  const certType = readU16(raw, o);
  const certSize = readU32(raw, o + 2);
  o += 6;
  if (certType !== CERT_TYPE_QE_REPORT) fail('certification data type', `${certType} is not 6 (QE report certification data)`);
  within(certSize, 'QE report certification data');
  const certEnd = o + certSize;

  within(ENCLAVE_REPORT_LEN + ECDSA_SIG_LEN + 2, 'QE report');
  const qeReport = raw.subarray(o, o + ENCLAVE_REPORT_LEN);
  o += ENCLAVE_REPORT_LEN;
  const qeReportSignature = raw.subarray(o, o + ECDSA_SIG_LEN);
  o += ECDSA_SIG_LEN;
  const authLen = readU16(raw, o);
  o += 2;
  within(authLen + 6, 'QE auth data');
  const qeAuthData = raw.subarray(o, o + authLen);
  o += authLen;
  const innerType = readU16(raw, o);
  const innerSize = readU32(raw, o + 2);
  o += 6;
  if (innerType !== CERT_TYPE_PCK_CHAIN) fail('QE certification data type', `${innerType} is not 5 (PCK certificate chain)`);
  within(innerSize, 'PCK certificate chain');
  const chainBytes = raw.subarray(o, o + innerSize);
  o += innerSize;
  if (o !== certEnd) fail('QE report certification data size', `declares ${certSize} bytes but its parts take ${certSize - (certEnd - o)}`);
  if (o !== sigEnd) fail('signature data length', `declares ${sigDataLen} bytes but its parts take ${sigDataLen - (sigEnd - o)}`);
  const trailing = raw.subarray(sigEnd);
  if (!isAllZero(trailing)) fail('trailing data', `${trailing.length} bytes after the signature data are not zero padding`);

  // The PEM may carry a NUL terminator; certificates are ASCII.
  const pckCertChainPem = new TextDecoder('utf-8', { fatal: false }).decode(chainBytes).replace(/\0+$/, '');
  return {
    raw, header, bodyType, bodyOffset, body,
    signedBytes: raw.subarray(0, signedLength),
    signature, attestationKey, qeReport,
    qeReportParsed: parseEnclaveReport(qeReport),
    qeReportSignature, qeAuthData, pckCertChainPem,
    trailingBytes: trailing.length,
  };
}
