// Builds a complete, valid Cloister-style report signed by a generated root (like the simulator
// does), so tests can tamper with one field at a time and see exactly one check id fail.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes, utf8 } from '../../../src/tdx/bytes.ts';
import { buildQuote } from '../../../src/tdx/quote-build.ts';
import { buildDstackBootEvents, replayRtmrs } from '../../../src/tdx/event-log.ts';
import { bindFromAddress, buildReportData } from '../../../src/tdx/report-data.ts';
import { ethereumAddress } from '../../../src/verify/signing-address.ts';
import { personalSignDigest, signedText } from '../../../src/verify/response-signature.ts';
import type { AttestationReport, ResponseSignature } from '../../../src/verify/types.ts';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2035-01-01T00:00:00Z');
export const IMAGE = 'ghcr.io/cloister/cloister@sha256:' + 'ab'.repeat(32);

/** A generated CA hierarchy: root → PCK CA → PCK leaf. */
export interface SimPki { rootDer: Uint8Array; chainPem: string; pckKeys: CryptoKeyPair }

/** Generate root, intermediate and PCK leaf certificates with WebCrypto P-256 keys. */
export async function makePki(rootName = 'CN=Cloister Simulated TDX Root'): Promise<SimPki> {
  const gen = (): Promise<CryptoKeyPair> => crypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
  const rootKeys = await gen();
  const caKeys = await gen();
  const pckKeys = await gen();
  const caExt = [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)];
  const root = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: rootName, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, signingAlgorithm: EC, keys: rootKeys, extensions: caExt });
  const ca = await x509.X509CertificateGenerator.create({ serialNumber: '02', subject: 'CN=Cloister Simulated PCK CA', issuer: root.subject, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, signingAlgorithm: EC, publicKey: caKeys.publicKey, signingKey: rootKeys.privateKey, extensions: caExt });
  const leaf = await x509.X509CertificateGenerator.create({ serialNumber: '03', subject: 'CN=Cloister Simulated PCK Certificate', issuer: ca.subject, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, signingAlgorithm: EC, publicKey: pckKeys.publicKey, signingKey: caKeys.privateKey });
  return { rootDer: new Uint8Array(root.rawData), chainPem: [leaf, ca, root].map((c) => c.toString('pem')).join('\n') + '\n', pckKeys };
}

export interface SimReport {
  report: AttestationReport;
  nonce: string;
  appCompose: string;
  composeHash: string;
  pki: SimPki;
  /** Sign an exchange like Cloister does. */
  signExchange(request: Uint8Array, response: Uint8Array): ResponseSignature;
}

let cachedPki: Promise<SimPki> | undefined;

/** Options of makeSimReport: everything defaults to a valid report. */
export interface SimReportOptions {
  nonce?: string;
  pki?: SimPki;
  image?: string;
  /** Extra app-compose fields (e.g. key_provider_id). */
  appCompose?: Record<string, unknown>;
  /** MRCONFIGID from the measured values; default v1 (01 ‖ compose hash). */
  mrConfigId?: (measured: { composeHash: string; appId: string; instanceId: string }) => Uint8Array;
  vmConfig?: unknown;
  /** TD attributes (8 bytes); default SEPT_VE_DISABLE only, as dstack's real quotes have. */
  tdAttributes?: Uint8Array;
  /** Build a v5 quote with a TDX 1.5 body carrying this MRSERVICETD. */
  td15MrServiceTd?: Uint8Array;
}

export const SIM_APP_ID = 'aa'.repeat(20);
export const SIM_INSTANCE_ID = 'bb'.repeat(20);
/** TD attributes of every real quote in the fixtures: only SEPT_VE_DISABLE (bit 28) set. */
export const SEPT_VE_DISABLE_ONLY = hexToBytes('0000001000000000');

/** A valid simulated report (ecdsa key) for `nonce`; one PKI is shared across tests for speed. */
export async function makeSimReport(opts: SimReportOptions = {}): Promise<SimReport> {
  const pki = opts.pki ?? (await (cachedPki ??= makePki()));
  const nonce = opts.nonce ?? '5a'.repeat(32);
  const signingKey = hexToBytes('11'.repeat(32));
  const address = ethereumAddress(secp256k1.getPublicKey(signingKey, false));
  const appCompose = JSON.stringify({ manifest_version: 2, name: 'cloister', runner: 'docker-compose', docker_compose_file: `services:\n  cloister:\n    image: ${opts.image ?? IMAGE}\n    ports:\n      - "8080:8080"\n`, ...opts.appCompose });
  const composeHash = bytesToHex(sha256(utf8(appCompose)));
  const events = buildDstackBootEvents({ appId: SIM_APP_ID, composeHash, instanceId: SIM_INSTANCE_ID, osImageHash: 'cc'.repeat(32), keyProvider: '{"name":"none"}' });
  const mrConfigId = opts.mrConfigId ? opts.mrConfigId({ composeHash, appId: SIM_APP_ID, instanceId: SIM_INSTANCE_ID }) : concatBytes(Uint8Array.of(1), hexToBytes(composeHash), new Uint8Array(15));
  const replay = replayRtmrs(events);
  const attSk = p256.utils.randomSecretKey();
  const reportData = buildReportData(bindFromAddress(address), hexToBytes(nonce));
  const quote = await buildQuote({
    ...(opts.td15MrServiceTd ? { header: { version: 5 as const } } : {}),
    body: {
      mrTd: new Uint8Array(48).fill(7), mrConfigId, rtmr3: replay.rtmrs[3], reportData, tdAttributes: opts.tdAttributes ?? SEPT_VE_DISABLE_ONLY,
      ...(opts.td15MrServiceTd ? { teeTcbSvn2: new Uint8Array(16), mrServiceTd: opts.td15MrServiceTd } : {}),
    },
    sign: (m) => p256.sign(m, attSk),
    attestationPublicKey: p256.getPublicKey(attSk, false),
    signQeReport: async (m) => new Uint8Array(await crypto.subtle.sign(EC, pki.pckKeys.privateKey, m as Uint8Array<ArrayBuffer>)),
    certChainPem: pki.chainPem,
  });
  const addrHex = '0x' + bytesToHex(address);
  const report: AttestationReport = {
    gateway_attestation: {
      signing_address: addrHex, signing_algo: 'ecdsa', request_nonce: nonce, report_data: bytesToHex(reportData), tls_cert_fingerprint: null,
      intel_quote: bytesToHex(quote), event_log: events, vm_config: opts.vmConfig ?? '{}',
      info: { app_id: SIM_APP_ID, instance_id: SIM_INSTANCE_ID, compose_hash: composeHash, tcb_info: { mrtd: '07'.repeat(48), rtmr3: bytesToHex(replay.rtmrs[3]), app_compose: appCompose } },
      build: { version: 'test', git_commit: 'unknown', source_date_epoch: 'unknown' },
      simulated: true,
    },
    model_attestations: null,
  };
  const signExchange = (request: Uint8Array, response: Uint8Array): ResponseSignature => {
    const text = signedText(request, response);
    const sig = secp256k1.sign(personalSignDigest(text), signingKey, { prehash: false, format: 'recovered' });
    // noble puts the recovery byte first; Ethereum wants r‖s‖v with v = 27/28.
    const eth = concatBytes(sig.subarray(1), Uint8Array.of((sig[0] as number) + 27));
    return { text, signature: '0x' + bytesToHex(eth), signing_address: addrHex, signing_algo: 'ecdsa' };
  };
  return { report, nonce, appCompose, composeHash, pki, signExchange };
}
