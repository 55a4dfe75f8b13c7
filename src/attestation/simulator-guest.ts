// What the simulated dstack guest knows and does, answer by answer as dstack's guest agent
// (guest-agent rpc_service.rs) gives them, so the official SDK and Cloister's client read it
// like the real thing:
// - GetQuote: a real-layout TDX v4 quote over the caller's report_data, the event log as the
//   agent ships it (runtime-event digests emptied: a verifier must recompute them), vm_config.
// - Info: app_id, instance_id, app_name, device_id, mr_aggregated (dstack's formula),
//   os_image_hash, key_provider_info, compose_hash, app_cert, tcb_info (JSON text with the
//   registers, event log and app-compose), vm_config, cloud_vendor, cloud_product.
// - GetKey: key = HKDF(app key, path) — the path alone, never the purpose — and the signature
//   chain [app key's signature over keccak256("{purpose}:{public key hex}"), the simulated KMS
//   root's signature over keccak256("dstack-kms-issued:" ‖ app id ‖ app public key)].
// - EmitEvent extends RTMR3 after system-ready; Sign/Verify use the key at path "vms".
// Identity and keys derive from a seed file, so restarts keep them; quotes are signed by keys
// made fresh each start under the simulated root.
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { buildQuote } from '../tdx/quote-build.ts';
import { buildDstackBootEvents, buildEventLog, replayRtmrs, stripEventLog, type EventLogEntry } from '../tdx/event-log.ts';
import { mrConfigIdV1 } from '../tdx/mr-config.ts';
import { bytesToHex, concatBytes, hexToBytes, isAllZero, utf8 } from '../tdx/bytes.ts';
import { issueTlsKey, newTlsKeyPair, type SimulatorPki } from './simulator-pki.ts';

/** TD attributes of a production dstack TD: only SEPT_VE_DISABLE (bit 28). */
const SEPT_VE_DISABLE_ONLY = hexToBytes('0000001000000000');
/** 16 bytes spelling "CLOISTER-SIMUL8" plus a zero: not Intel's QE vendor id. */
const SIMULATED_QE_VENDOR_ID = new Uint8Array([...utf8('CLOISTER-SIMUL8'), 0]);
/** The dstack release the simulator answers like (Version). */
export const SIMULATED_DSTACK_VERSION = '0.6.0';

/** A request the simulated agent refuses, answered 400 with {"error"} like the real one. */
export class GuestRequestError extends Error {}

/** A valid secp256k1 scalar from key material (rehashing in the ~2^-128 case it is out of range). */
function k256Scalar(material: Uint8Array): Uint8Array {
  let k = material.subarray(0, 32);
  while (!secp256k1.utils.isValidSecretKey(k)) k = createHash('sha256').update(k).digest();
  return k;
}

/** r ‖ s ‖ recovery id over a keccak256 digest, as dstack's k256 signatures are. */
function signRecoverable(digest: Uint8Array, key: Uint8Array): Uint8Array {
  const sig = secp256k1.sign(digest, key, { prehash: false, format: 'recovered' });
  return concatBytes(sig.subarray(1), sig.subarray(0, 1));
}

function hexArg(v: unknown, name: string, maxBytes: number): Uint8Array {
  if (v === undefined || v === null) return new Uint8Array(0);
  if (typeof v !== 'string') throw new GuestRequestError(`${name} must be a hex string`);
  let b: Uint8Array;
  try {
    b = hexToBytes(v, name);
  } catch {
    throw new GuestRequestError(`${name} is not hex`);
  }
  if (b.length > maxBytes) throw new GuestRequestError(`${name} is longer than ${maxBytes} bytes`);
  return b;
}

function strArg(v: unknown, name: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new GuestRequestError(`${name} must be a string`);
  return v;
}

type Algorithm = 'secp256k1' | 'ed25519' | 'secp256k1_prehashed';

function algorithmArg(v: unknown, allowPrehashed: boolean): Algorithm {
  const a = strArg(v, 'algorithm');
  if (a === '' || a === 'secp256k1' || a === 'k256') return 'secp256k1';
  if (a === 'ed25519') return 'ed25519';
  if (allowPrehashed && a === 'secp256k1_prehashed') return a;
  throw new GuestRequestError('Unsupported algorithm');
}

/** The simulated guest: one per simulator. */
export interface SimulatedGuest {
  getQuote(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  info(): Record<string, unknown>;
  getKey(body: Record<string, unknown>): Record<string, unknown>;
  getTlsKey(body: Record<string, unknown>): Promise<Record<string, unknown>>;
  emitEvent(body: Record<string, unknown>): Record<string, unknown>;
  sign(body: Record<string, unknown>): Record<string, unknown>;
  verify(body: Record<string, unknown>): Record<string, unknown>;
  version(): Record<string, unknown>;
}

/** Builds the guest from its seed, the app-compose it measures and its PKI. */
export async function createSimulatedGuest(seed: Uint8Array, appCompose: string, pki: SimulatorPki): Promise<SimulatedGuest> {
  const derive = (label: string): Uint8Array => new Uint8Array(createHmac('sha256', seed).update(label).digest());
  const appKey = k256Scalar(derive('app-key'));
  const kmsRoot = k256Scalar(derive('kms-root'));
  const appId = derive('app-id').subarray(0, 20);
  const instanceId = derive('instance-id').subarray(0, 20);
  const osImageHash = derive('os-image-hash');
  const ppid = derive('ppid').subarray(0, 16);
  const composeHash = createHash('sha256').update(appCompose, 'utf8').digest();
  const appPublic = secp256k1.getPublicKey(appKey, true);
  const kmsSignature = signRecoverable(keccak_256(concatBytes(utf8('dstack-kms-issued:'), appId, appPublic)), kmsRoot);
  const keyProviderInfo = JSON.stringify({ name: 'kms', id: bytesToHex(secp256k1.getPublicKey(kmsRoot, true)) });
  const log: EventLogEntry[] = buildDstackBootEvents({ appId, composeHash, instanceId, osImageHash, keyProvider: keyProviderInfo });
  const mrTd = createHash('sha384').update('cloister simulated MRTD').digest();
  const mrConfigId = mrConfigIdV1(composeHash);
  const vmConfig = JSON.stringify({ spec_version: 1, os_image_hash: bytesToHex(osImageHash), cpu_count: 2, memory_size: 2147483648, qemu_version: '8.2.2', image: 'cloister-simulated', simulated: true });
  const attestationKey = p256.utils.randomSecretKey();
  const registers = (): Uint8Array[] => replayRtmrs(log).rtmrs;
  let serial = 0x100;

  async function quoteFor(reportData: Uint8Array): Promise<Uint8Array> {
    const [rtmr0, rtmr1, rtmr2, rtmr3] = registers();
    return buildQuote({
      header: { qeVendorId: SIMULATED_QE_VENDOR_ID },
      body: { mrTd, mrConfigId, tdAttributes: SEPT_VE_DISABLE_ONLY, rtmr0, rtmr1, rtmr2, rtmr3, reportData },
      sign: (m) => p256.sign(m, attestationKey),
      attestationPublicKey: p256.getPublicKey(attestationKey, false),
      signQeReport: async (m) => new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pki.pckKey, m as Uint8Array<ArrayBuffer>)),
      certChainPem: pki.chainPem,
    });
  }

  /** dstack's mr_aggregated: sha256(MRTD ‖ RTMR0–3 [‖ MRCONFIGID ‖ MROWNER ‖ MROWNERCONFIG when any is non-zero]). */
  function mrAggregated(): string {
    const parts = [mrTd, ...registers()];
    const owner = new Uint8Array(48);
    if (!isAllZero(mrConfigId)) parts.push(mrConfigId, owner, owner);
    return createHash('sha256').update(concatBytes(...parts)).digest('hex');
  }

  function derivedKey(path: string, algorithm: Algorithm): { key: Uint8Array; publicHex: string } {
    const material = new Uint8Array(hkdfSync('sha256', appKey, new Uint8Array(0), utf8(path), 32));
    if (algorithm === 'ed25519') return { key: material, publicHex: bytesToHex(ed25519.getPublicKey(material)) };
    const key = k256Scalar(material);
    return { key, publicHex: bytesToHex(secp256k1.getPublicKey(key, true)) };
  }

  function keyWithChain(path: string, purpose: string, algorithm: Algorithm): { key: Uint8Array; publicHex: string; chain: Uint8Array[] } {
    const { key, publicHex } = derivedKey(path, algorithm === 'secp256k1_prehashed' ? 'secp256k1' : algorithm);
    const purposeSignature = signRecoverable(keccak_256(utf8(`${purpose}:${publicHex}`)), appKey);
    return { key, publicHex, chain: [purposeSignature, kmsSignature] };
  }

  /** GetTlsKey: a fresh P-256 key and a certificate from the app CA, with dstack's RA-TLS extensions when asked. */
  async function tlsKey(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const keys = await newTlsKeyPair();
    const altNames = body['alt_names'] ?? [];
    if (!Array.isArray(altNames) || !altNames.every((n) => typeof n === 'string')) throw new GuestRequestError('alt_names must be a list of strings');
    const seconds = (k: string): Date | undefined => {
      const v = body[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new GuestRequestError(`${k} must be seconds since the epoch`);
      return new Date(v * 1000);
    };
    let raTls: { quote: Uint8Array; eventLog: Uint8Array } | undefined;
    if (body['usage_ra_tls'] === true) {
      // dstack's RA-TLS report data: sha512("ratls-cert:" ‖ the certificate's public key, SPKI DER).
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
      raTls = { quote: await quoteFor(sha512(concatBytes(utf8('ratls-cert:'), spki))), eventLog: utf8(JSON.stringify(stripEventLog(log))) };
    }
    const notBefore = seconds('not_before');
    const notAfter = seconds('not_after');
    const issued = await issueTlsKey(pki, {
      subject: strArg(body['subject'], 'subject'), altNames: altNames as string[],
      serverAuth: body['usage_server_auth'] !== false, clientAuth: body['usage_client_auth'] === true,
      ...(notBefore ? { notBefore } : {}), ...(notAfter ? { notAfter } : {}), ...(raTls ? { raTls } : {}),
    }, (serial++).toString(16), keys);
    return { key: issued.key, certificate_chain: issued.chain };
  }

  // Info's app_cert: like dstack's demo certificate, a client certificate carrying the quote.
  const appCert = ((await tlsKey({ subject: 'demo-cert', usage_ra_tls: true, usage_server_auth: false, usage_client_auth: true }))['certificate_chain'] as string[]).join('\n');

  return {
    async getQuote(body) {
      const reportData = concatBytes(hexArg(body['report_data'], 'report_data', 64), new Uint8Array(64));
      const padded = reportData.subarray(0, 64);
      return { quote: bytesToHex(await quoteFor(padded)), event_log: JSON.stringify(stripEventLog(log)), report_data: bytesToHex(padded), vm_config: vmConfig };
    },
    info() {
      const [rtmr0, rtmr1, rtmr2, rtmr3] = registers().map(bytesToHex);
      const tcbInfo = {
        mrtd: bytesToHex(mrTd), rtmr0, rtmr1, rtmr2, rtmr3, mr_aggregated: mrAggregated(), os_image_hash: bytesToHex(osImageHash),
        compose_hash: bytesToHex(composeHash), device_id: createHash('sha256').update(ppid).digest('hex'), event_log: log, app_compose: appCompose,
      };
      return {
        app_id: bytesToHex(appId), instance_id: bytesToHex(instanceId), app_cert: appCert, tcb_info: JSON.stringify(tcbInfo, null, 2),
        app_name: 'cloister-simulated', device_id: tcbInfo.device_id, mr_aggregated: tcbInfo.mr_aggregated, os_image_hash: tcbInfo.os_image_hash,
        key_provider_info: keyProviderInfo, compose_hash: tcbInfo.compose_hash, vm_config: vmConfig,
        cloud_vendor: 'Cloister (simulated)', cloud_product: 'dstack guest agent simulator',
      };
    },
    getKey(body) {
      const { key, chain } = keyWithChain(strArg(body['path'], 'path'), strArg(body['purpose'], 'purpose'), algorithmArg(body['algorithm'], false));
      return { key: bytesToHex(key), signature_chain: chain.map(bytesToHex) };
    },
    getTlsKey: tlsKey,
    emitEvent(body) {
      const event = strArg(body['event'], 'event');
      if (event === '') throw new GuestRequestError('event name is empty');
      log.push(...buildEventLog([{ event, payload: hexArg(body['payload'], 'payload', 64 * 1024) }]));
      return {};
    },
    sign(body) {
      const algorithm = algorithmArg(body['algorithm'], true);
      const data = hexArg(body['data'], 'data', 1024 * 1024);
      const { key, publicHex, chain } = keyWithChain('vms', 'signing', algorithm);
      let signature: Uint8Array;
      if (algorithm === 'ed25519') signature = ed25519.sign(data, key);
      else if (algorithm === 'secp256k1') signature = secp256k1.sign(data, key);
      else {
        if (data.length !== 32) throw new GuestRequestError(`Pre-hashed signing requires a 32-byte digest, but received ${data.length} bytes`);
        signature = secp256k1.sign(data, key, { prehash: false });
      }
      return { signature: bytesToHex(signature), signature_chain: [signature, ...chain].map(bytesToHex), public_key: publicHex };
    },
    verify(body) {
      const algorithm = algorithmArg(body['algorithm'], true);
      const data = hexArg(body['data'], 'data', 1024 * 1024);
      const signature = hexArg(body['signature'], 'signature', 128);
      const publicKey = hexArg(body['public_key'], 'public_key', 65);
      try {
        if (algorithm === 'ed25519') return { valid: ed25519.verify(signature, data, publicKey) };
        return { valid: secp256k1.verify(signature, data, publicKey, { prehash: algorithm === 'secp256k1' }) };
      } catch {
        return { valid: false };
      }
    },
    version() {
      return { version: SIMULATED_DSTACK_VERSION, rev: 'cloister-simulator' };
    },
  };
}
