// Cloister's two signing keys, derived with dstack GetKey so every replica of one app (and
// every restart) has the same keys: secp256k1 (Ethereum address, EIP-191 personal_sign,
// 65-byte r‖s‖v) and Ed25519 (address = the 32-byte public key).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { createPrivateKey, createPublicKey, sign as nodeSign } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '../tdx/bytes.ts';
import { ethereumAddress } from '../verify/signing-address.ts';
import { personalSignDigest } from '../verify/response-signature.ts';
import type { Dstack } from './dstack-client.ts';

export type SigningAlgo = 'ecdsa' | 'ed25519';

export interface SigningKeys {
  /** 0x-prefixed Ethereum address (ecdsa) or hex public key (ed25519) */
  address(algo: SigningAlgo): string;
  /** the address as bytes, for report_data */
  addressBytes(algo: SigningAlgo): Uint8Array;
  /** 0x-prefixed hex signature of `text` */
  sign(algo: SigningAlgo, text: string): string;
}

export const KEY_PATHS = { ecdsa: 'cloister/signing/ecdsa', ed25519: 'cloister/signing/ed25519' } as const;

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410), so Node's native Ed25519 signs:
// 20x faster than pure JS, and RFC 8032 signatures are deterministic, so the bytes are the same.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A valid secp256k1 scalar from key material (rehashing in the ~2^-128 case it is out of range). */
function toSecp256k1Key(material: Uint8Array): Uint8Array {
  let k = material.subarray(0, 32);
  while (!secp256k1.utils.isValidSecretKey(k)) k = sha256(k);
  return k;
}

/** Derives both keys from dstack (or the simulator). */
export async function deriveSigningKeys(dstack: Dstack): Promise<SigningKeys> {
  const ecdsaSecret = toSecp256k1Key(await dstack.getKey(KEY_PATHS.ecdsa, 'signing'));
  const edSeed = (await dstack.getKey(KEY_PATHS.ed25519, 'signing')).subarray(0, 32);
  const edKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, edSeed]), format: 'der', type: 'pkcs8' });
  const edPublic = new Uint8Array(Buffer.from(createPublicKey(edKey).export({ format: 'jwk' }).x!, 'base64url'));
  const ecdsaAddress = ethereumAddress(secp256k1.getPublicKey(ecdsaSecret, false));
  return {
    address: (algo) => (algo === 'ecdsa' ? `0x${bytesToHex(ecdsaAddress)}` : bytesToHex(edPublic)),
    addressBytes: (algo) => (algo === 'ecdsa' ? ecdsaAddress : edPublic),
    sign(algo, text) {
      if (algo === 'ed25519') return `0x${bytesToHex(new Uint8Array(nodeSign(null, Buffer.from(text, 'utf8'), edKey)))}`;
      // noble returns recovery-first; Ethereum wants r‖s‖v with v = 27 + recovery.
      const sig = secp256k1.sign(personalSignDigest(text), ecdsaSecret, { prehash: false, format: 'recovered' });
      return `0x${bytesToHex(concatBytes(sig.subarray(1), Uint8Array.of(sig[0]! + 27)))}`;
    },
  };
}
