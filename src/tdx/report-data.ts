// report_data layout shared by the server and the verifier (see DESIGN "report_data"):
// bind(32) ‖ nonce(32), where bind is the signing address right-padded with zeros, or
// sha256(address ‖ sha256(TLS SPKI DER)) when Cloister terminates TLS itself.
import { sha256 } from '@noble/hashes/sha2.js';
import { TdxFormatError, concatBytes } from './bytes.ts';

/** report_data = bind(32) ‖ nonce(32). */
export function buildReportData(bind32: Uint8Array, nonce32: Uint8Array): Uint8Array {
  if (bind32.length !== 32) throw new TdxFormatError('bad_length', `bind must be 32 bytes, got ${bind32.length}`);
  if (nonce32.length !== 32) throw new TdxFormatError('bad_length', `nonce must be 32 bytes, got ${nonce32.length}`);
  return concatBytes(bind32, nonce32);
}

/** The signing address (20-byte Ethereum address or 32-byte Ed25519 key) right-padded to 32 bytes. */
export function bindFromAddress(address: Uint8Array): Uint8Array {
  if (address.length === 0 || address.length > 32) throw new TdxFormatError('bad_length', `address must be 1..32 bytes, got ${address.length}`);
  const out = new Uint8Array(32);
  out.set(address);
  return out;
}

/** sha256(address ‖ spkiSha256), binding the TLS key as well. */
export function bindFromAddressAndTls(address: Uint8Array, spkiSha256: Uint8Array): Uint8Array {
  if (spkiSha256.length !== 32) throw new TdxFormatError('bad_length', `TLS SPKI fingerprint must be 32 bytes, got ${spkiSha256.length}`);
  return sha256(concatBytes(address, spkiSha256));
}
