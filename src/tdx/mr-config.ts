// MRCONFIGID, the 48 bytes the host sets when it creates the TD, in dstack's three formats
// (dstack-types mr_config.rs and the VMM that writes it):
//   v1: 01 ‖ compose_hash(32) ‖ 00×15
//   v2: 02 ‖ keccak256(compose_hash ‖ app_id(20) ‖ key_provider_kind(1) ‖ key_provider_id) ‖ 00×15
//       (written when the app-compose sets key_provider_id; kinds: none 0, local 1, kms 2, tpm 3, snp_derived 4)
//   v3: 03 ‖ sha256("dstack-mr-config-v3:" ‖ 00 ‖ document) ‖ 00×15, where the document is a JSON
//       object (the host's JCS text, hashed as given) naming compose_hash and optionally app_id,
//       instance_id, key_provider, key_provider_id, gpu_policy_hash, init_script_hashes.
// All zero means an older dstack that did not use MRCONFIGID.
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { TdxFormatError, concatBytes, hexToBytes, utf8 } from './bytes.ts';

/** dstack's key provider kinds and their MRCONFIGID v2 byte. */
export const KEY_PROVIDER_KINDS = { none: 0, local: 1, kms: 2, tpm: 3, snp_derived: 4 } as const;
export type KeyProviderKind = keyof typeof KEY_PROVIDER_KINDS;

const V3_DOMAIN = utf8('dstack-mr-config-v3:');

function configId(version: number, digest: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(version), digest, new Uint8Array(15));
}

/** v1: 01 ‖ compose hash ‖ zeros. */
export function mrConfigIdV1(composeHash: Uint8Array): Uint8Array {
  if (composeHash.length !== 32) throw new TdxFormatError('bad_length', 'compose hash must be 32 bytes');
  return configId(1, composeHash);
}

/** Inputs of a v2 MRCONFIGID. */
export interface MrConfigV2Input {
  composeHash: Uint8Array;
  appId: Uint8Array;
  keyProvider: KeyProviderKind;
  keyProviderId: Uint8Array;
}

/** v2: 02 ‖ keccak256(compose hash ‖ app id ‖ key provider kind ‖ key provider id) ‖ zeros. */
export function mrConfigIdV2(v: MrConfigV2Input): Uint8Array {
  if (v.composeHash.length !== 32) throw new TdxFormatError('bad_length', 'compose hash must be 32 bytes');
  if (v.appId.length !== 20) throw new TdxFormatError('bad_length', 'app id must be 20 bytes');
  return configId(2, keccak_256(concatBytes(v.composeHash, v.appId, Uint8Array.of(KEY_PROVIDER_KINDS[v.keyProvider]), v.keyProviderId)));
}

/** v3: 03 ‖ sha256("dstack-mr-config-v3:" ‖ 00 ‖ document bytes) ‖ zeros. */
export function mrConfigIdV3(document: string): Uint8Array {
  return configId(3, sha256(concatBytes(V3_DOMAIN, Uint8Array.of(0), utf8(document))));
}

/** A parsed v3 document (binary fields decoded). */
export interface MrConfigV3Document {
  version: number;
  composeHash: Uint8Array;
  appId?: Uint8Array;
  instanceId?: Uint8Array;
  keyProvider: string;
  keyProviderId?: Uint8Array;
  gpuPolicyHash?: Uint8Array;
  initScriptHashes?: Uint8Array[];
}

const V3_KEYS = new Set(['version', 'app_id', 'compose_hash', 'gpu_policy_hash', 'key_provider', 'key_provider_id', 'instance_id', 'init_script_hashes']);

/** Parse a v3 document like dstack does: unknown fields refused, hex fields decoded. */
export function parseMrConfigV3(document: string): MrConfigV3Document {
  let v: unknown;
  try {
    v = JSON.parse(document);
  } catch {
    throw new TdxFormatError('bad_mr_config', 'the mr_config document is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new TdxFormatError('bad_mr_config', 'the mr_config document is not a JSON object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!V3_KEYS.has(k)) throw new TdxFormatError('bad_mr_config', `the mr_config document has an unknown field "${k}"`);
  const hex = (k: string): Uint8Array | undefined => {
    const x = o[k];
    if (x === undefined || x === null) return undefined;
    if (typeof x !== 'string') throw new TdxFormatError('bad_mr_config', `mr_config ${k} must be hex`);
    return hexToBytes(x, `mr_config ${k}`);
  };
  const composeHash = hex('compose_hash');
  if (!composeHash) throw new TdxFormatError('bad_mr_config', 'the mr_config document has no compose_hash');
  const version = o['version'] ?? 3;
  if (typeof version !== 'number') throw new TdxFormatError('bad_mr_config', 'mr_config version must be a number');
  if (typeof o['key_provider'] !== 'string') throw new TdxFormatError('bad_mr_config', 'mr_config key_provider must be a string');
  const doc: MrConfigV3Document = { version, composeHash, keyProvider: o['key_provider'] };
  const appId = hex('app_id');
  if (appId) doc.appId = appId;
  const instanceId = hex('instance_id');
  if (instanceId) doc.instanceId = instanceId;
  const keyProviderId = hex('key_provider_id');
  if (keyProviderId) doc.keyProviderId = keyProviderId;
  const gpu = hex('gpu_policy_hash');
  if (gpu) doc.gpuPolicyHash = gpu;
  const scripts = o['init_script_hashes'];
  if (scripts !== undefined && scripts !== null) {
    if (!Array.isArray(scripts) || !scripts.every((s) => typeof s === 'string')) throw new TdxFormatError('bad_mr_config', 'mr_config init_script_hashes must be a list of hex strings');
    doc.initScriptHashes = scripts.map((s: string) => hexToBytes(s, 'init script hash'));
  }
  return doc;
}

/** The key provider an app-compose selects, as dstack's AppCompose::key_provider() decides. */
export function appComposeKeyProvider(appCompose: Record<string, unknown>): KeyProviderKind {
  const explicit = appCompose['key_provider'];
  if (typeof explicit === 'string') {
    if (explicit in KEY_PROVIDER_KINDS) return explicit as KeyProviderKind;
    throw new TdxFormatError('bad_app_compose', `app-compose key_provider "${explicit}" is not one dstack knows`);
  }
  if (appCompose['kms_enabled'] === true) return 'kms';
  if (appCompose['local_key_provider_enabled'] === true) return 'local';
  return 'none';
}
