// Signing addresses as Cloister reports them: ecdsa = Ethereum address (0x + 20 bytes hex,
// keccak256 of the uncompressed secp256k1 key without 0x04, last 20 bytes); ed25519 = the
// 32-byte public key in hex.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { hexToBytes } from '../tdx/bytes.ts';

/** Decode a reported signing address to its bytes (20 for ecdsa, 32 for ed25519); throws on a bad shape. */
export function signingAddressBytes(address: string, algo: string): Uint8Array {
  const b = hexToBytes(address, 'signing_address');
  if (algo === 'ecdsa') {
    if (b.length !== 20) throw new Error(`ecdsa signing_address must be 20 bytes, got ${b.length}`);
  } else if (algo === 'ed25519') {
    if (b.length !== 32) throw new Error(`ed25519 signing_address must be 32 bytes, got ${b.length}`);
  } else {
    throw new Error(`unknown signing_algo "${algo}" (ecdsa or ed25519)`);
  }
  return b;
}

/** Ethereum address of an uncompressed secp256k1 public key (65 bytes with 0x04). */
export function ethereumAddress(uncompressed: Uint8Array): Uint8Array {
  if (uncompressed.length !== 65 || uncompressed[0] !== 4) throw new Error('expected a 65-byte uncompressed public key');
  return keccak_256(uncompressed.subarray(1)).subarray(12);
}
