// A test-only copy of Intel's DCAP world, signed by a generated root instead of Intel's: a PCK
// certificate with the SGX extension (FMSPC, PCE id, CPU SVN components), a TCB signing
// certificate, both CRLs, and TCB info / QE identity JSON signed like Intel signs them. With it,
// a quote with any TD attributes or TCB level can be verified end to end — by Cloister and by
// @phala/dcap-qvl — which real Intel quotes cannot offer (they cannot be re-signed).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { p256 } from '@noble/curves/nist.js';
import { bytesToHex, concatBytes, hexToBytes } from '../../src/tdx/bytes.ts';
import { buildQuote, type QuoteHeaderInput, type TdReportBodyInput } from '../../src/tdx/quote-build.ts';
import type { Collateral } from '../../src/verify/types.ts';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const SGX_EXT = '1.2.840.113741.1.13.1';

// DER, just enough for the SGX extension.
function tlv(tag: number, value: Uint8Array): Uint8Array {
  const n = value.length;
  const len = n < 0x80 ? Uint8Array.of(n) : n < 0x100 ? Uint8Array.of(0x81, n) : Uint8Array.of(0x82, n >> 8, n & 0xff);
  return concatBytes(Uint8Array.of(tag), len, value);
}
const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, concatBytes(...parts));
const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
function oid(dotted: string): Uint8Array {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const bytes = [40 * a + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}
function int(n: number): Uint8Array {
  const b: number[] = [];
  do { b.unshift(n & 0xff); n = Math.floor(n / 256); } while (n > 0);
  if ((b[0] as number) & 0x80) b.unshift(0);
  return tlv(0x02, Uint8Array.from(b));
}

/** The platform the PCK certificate describes. */
export interface SimPlatform {
  fmspc: string;
  pceId: string;
  /** The 16 SGX TCB components (CPU SVN). */
  cpuSvn: number[];
  pceSvn: number;
}

export const SIM_PLATFORM: SimPlatform = { fmspc: '00a06f000000', pceId: '0000', cpuSvn: Array(16).fill(2) as number[], pceSvn: 11 };

function sgxExtension(p: SimPlatform): Uint8Array {
  const comps = p.cpuSvn.map((svn, i) => seq(oid(`${SGX_EXT}.2.${i + 1}`), int(svn)));
  return seq(
    seq(oid(`${SGX_EXT}.1`), octets(new Uint8Array(16).fill(0x5a))),
    seq(oid(`${SGX_EXT}.2`), seq(...comps, seq(oid(`${SGX_EXT}.2.17`), int(p.pceSvn)), seq(oid(`${SGX_EXT}.2.18`), octets(Uint8Array.from(p.cpuSvn))))),
    seq(oid(`${SGX_EXT}.3`), octets(hexToBytes(p.pceId))),
    seq(oid(`${SGX_EXT}.4`), octets(hexToBytes(p.fmspc))),
    seq(oid(`${SGX_EXT}.5`), tlv(0x0a, Uint8Array.of(0))),
  );
}

/** One TCB level of the generated TCB info. */
export interface SimTcbLevel {
  sgx: number;
  pceSvn: number;
  tdx: number[];
  status: string;
  advisories: string[];
}

/** The QE identity the generated QE report matches. */
export const SIM_QE = { mrSigner: 'dc'.repeat(32), isvProdId: 2, isvSvn: 4, attributes: '11000000000000000000000000000000' };

export interface SimDcapOptions {
  platform?: SimPlatform;
  /** Best first, as Intel orders them; default: UpToDate at TDX SVN 3, OutOfDate (INTEL-SA-00837) at 2, Revoked at 0. */
  levels?: SimTcbLevel[];
  issueDate?: Date;
  nextUpdate?: Date;
  /** Serial numbers (hex) the PCK CRL revokes. */
  revokePck?: boolean;
}

export interface SimDcap {
  rootDer: Uint8Array;
  collateral: Collateral;
  /** Build a quote signed under this PKI; body fields default to a production-looking TD. */
  quote(body?: TdReportBodyInput, header?: QuoteHeaderInput): Promise<Uint8Array>;
}

/** TEE TCB SVN whose TDX components are all `svn` (bytes 0..15). */
export const teeTcbSvn = (svn: number): Uint8Array => new Uint8Array(16).fill(svn);

const DEFAULT_LEVELS: SimTcbLevel[] = [
  { sgx: 2, pceSvn: 11, tdx: Array(16).fill(3) as number[], status: 'UpToDate', advisories: [] },
  { sgx: 2, pceSvn: 11, tdx: Array(16).fill(2) as number[], status: 'OutOfDate', advisories: ['INTEL-SA-00837'] },
  { sgx: 0, pceSvn: 0, tdx: Array(16).fill(0) as number[], status: 'Revoked', advisories: ['INTEL-SA-00001'] },
];

const toPem = (der: Uint8Array): string => `-----BEGIN CERTIFICATE-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

async function signJson(text: string, key: CryptoKey): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.sign(EC, key, new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>)));
}

/** Generate the PKI, CRLs and signed collateral. */
export async function makeSimDcap(opts: SimDcapOptions = {}): Promise<SimDcap> {
  const platform = opts.platform ?? SIM_PLATFORM;
  const gen = (): Promise<CryptoKeyPair> => crypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
  const [rootKeys, caKeys, pckKeys, tcbKeys] = await Promise.all([gen(), gen(), gen(), gen()]);
  const notBefore = new Date('2025-01-01T00:00:00Z');
  const notAfter = new Date('2040-01-01T00:00:00Z');
  const caExt = [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)];
  const root = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: 'CN=Cloister Test SGX Root CA, O=Cloister tests', notBefore, notAfter, signingAlgorithm: EC, keys: rootKeys, extensions: caExt });
  const ca = await x509.X509CertificateGenerator.create({ serialNumber: '02', subject: 'CN=Cloister Test SGX PCK Platform CA, O=Cloister tests', issuer: root.subject, notBefore, notAfter, signingAlgorithm: EC, publicKey: caKeys.publicKey, signingKey: rootKeys.privateKey, extensions: caExt });
  const pck = await x509.X509CertificateGenerator.create({
    serialNumber: '03', subject: 'CN=Cloister Test SGX PCK Certificate, O=Cloister tests', issuer: ca.subject, notBefore, notAfter, signingAlgorithm: EC,
    publicKey: pckKeys.publicKey, signingKey: caKeys.privateKey, extensions: [new x509.Extension(SGX_EXT, false, sgxExtension(platform) as Uint8Array<ArrayBuffer>)],
  });
  const tcbSigner = await x509.X509CertificateGenerator.create({ serialNumber: '04', subject: 'CN=Cloister Test SGX TCB Signing, O=Cloister tests', issuer: root.subject, notBefore, notAfter, signingAlgorithm: EC, publicKey: tcbKeys.publicKey, signingKey: rootKeys.privateKey });
  const rootCrl = await x509.X509CrlGenerator.create({ issuer: root.subject, thisUpdate: notBefore, nextUpdate: notAfter, signingAlgorithm: EC, signingKey: rootKeys.privateKey });
  const pckCrl = await x509.X509CrlGenerator.create({
    issuer: ca.subject, thisUpdate: notBefore, nextUpdate: notAfter, signingAlgorithm: EC, signingKey: caKeys.privateKey,
    entries: opts.revokePck ? [{ serialNumber: '03', revocationDate: notBefore }] : [],
  });

  const issueDate = (opts.issueDate ?? new Date('2029-12-01T00:00:00Z')).toISOString().replace('.000Z', 'Z');
  const nextUpdate = (opts.nextUpdate ?? new Date('2030-01-31T00:00:00Z')).toISOString().replace('.000Z', 'Z');
  const tcbInfo = JSON.stringify({
    id: 'TDX', version: 3, issueDate, nextUpdate, fmspc: platform.fmspc.toUpperCase(), pceId: platform.pceId, tcbType: 0, tcbEvaluationDataNumber: 17,
    tdxModule: { mrsigner: '00'.repeat(48), attributes: '0000000000000000', attributesMask: 'FFFFFFFFFFFFFFFF' },
    tcbLevels: (opts.levels ?? DEFAULT_LEVELS).map((l) => ({
      tcb: { sgxtcbcomponents: Array.from({ length: 16 }, () => ({ svn: l.sgx })), pcesvn: l.pceSvn, tdxtcbcomponents: l.tdx.map((svn) => ({ svn })) },
      tcbDate: '2029-11-01T00:00:00Z', tcbStatus: l.status, advisoryIDs: l.advisories,
    })),
  });
  const qeIdentity = JSON.stringify({
    id: 'TD_QE', version: 2, issueDate, nextUpdate, tcbEvaluationDataNumber: 17, miscselect: '00000000', miscselectMask: 'FFFFFFFF',
    attributes: SIM_QE.attributes, attributesMask: 'FBFFFFFFFFFFFFFF0000000000000000', mrsigner: SIM_QE.mrSigner.toUpperCase(), isvprodid: SIM_QE.isvProdId,
    tcbLevels: [{ tcb: { isvsvn: SIM_QE.isvSvn }, tcbDate: '2029-11-01T00:00:00Z', tcbStatus: 'UpToDate', advisoryIDs: [] }],
  });
  const tcbChain = toPem(new Uint8Array(tcbSigner.rawData)) + toPem(new Uint8Array(root.rawData));
  const collateral: Collateral = {
    pck_crl_issuer_chain: toPem(new Uint8Array(ca.rawData)) + toPem(new Uint8Array(root.rawData)),
    root_ca_crl: bytesToHex(new Uint8Array(rootCrl.rawData)),
    pck_crl: bytesToHex(new Uint8Array(pckCrl.rawData)),
    tcb_info_issuer_chain: tcbChain,
    tcb_info: tcbInfo,
    tcb_info_signature: await signJson(tcbInfo, tcbKeys.privateKey),
    qe_identity_issuer_chain: tcbChain,
    qe_identity: qeIdentity,
    qe_identity_signature: await signJson(qeIdentity, tcbKeys.privateKey),
  };
  const chainPem = [pck, ca, root].map((c) => toPem(new Uint8Array(c.rawData))).join('');
  return {
    rootDer: new Uint8Array(root.rawData),
    collateral,
    async quote(body = {}, header = {}) {
      const attSk = p256.utils.randomSecretKey();
      return buildQuote({
        header,
        body: { teeTcbSvn: teeTcbSvn(3), tdAttributes: hexToBytes('0000001000000000'), mrTd: new Uint8Array(48).fill(0x11), ...body },
        sign: (m) => p256.sign(m, attSk),
        attestationPublicKey: p256.getPublicKey(attSk, false),
        qeReport: { attributes: hexToBytes(SIM_QE.attributes), mrSigner: hexToBytes(SIM_QE.mrSigner), isvProdId: SIM_QE.isvProdId, isvSvn: SIM_QE.isvSvn },
        signQeReport: async (m) => new Uint8Array(await crypto.subtle.sign(EC, pckKeys.privateKey, m as Uint8Array<ArrayBuffer>)),
        certChainPem: chainPem,
      });
    },
  };
}
