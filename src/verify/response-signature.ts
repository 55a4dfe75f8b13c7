// signature.response: a response signature from GET /v1/signature/{id}, checked against the
// bytes the client kept and the key the quote attests. text = sha256hex(request) ":" sha256hex(response).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesEqual, bytesToHex, concatBytes, hexToBytes, utf8 } from '../tdx/bytes.ts';
import { errorText, fail, pass, skip } from './check.ts';
import { ethereumAddress, signingAddressBytes } from './signing-address.ts';
import type { Check, GatewayAttestation, ResponseSignature, VerifyOptions } from './types.ts';

/** The text Cloister signs for an exchange. */
export function signedText(requestBytes: Uint8Array, responseBytes: Uint8Array): string {
  return `${bytesToHex(sha256(requestBytes))}:${bytesToHex(sha256(responseBytes))}`;
}

/** EIP-191 personal_sign digest of a message. */
export function personalSignDigest(text: string): Uint8Array {
  const msg = utf8(text);
  return keccak_256(concatBytes(utf8(`\x19Ethereum Signed Message:\n${msg.length}`), msg));
}

/** Verify a signature over `text` by `address` (ecdsa: EIP-191 r‖s‖v; ed25519: 64-byte signature). Throws on malformed input. */
export function verifyTextSignature(text: string, signatureHex: string, address: string, algo: string): boolean {
  const addr = signingAddressBytes(address, algo);
  const sig = hexToBytes(signatureHex, 'signature');
  if (algo === 'ed25519') {
    if (sig.length !== 64) throw new Error(`ed25519 signature must be 64 bytes, got ${sig.length}`);
    return ed25519.verify(sig, utf8(text), addr, { zip215: false });
  }
  if (sig.length !== 65) throw new Error(`ecdsa signature must be 65 bytes r‖s‖v, got ${sig.length}`);
  const v = sig[64] as number;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new Error(`ecdsa signature has invalid v ${v}`);
  // noble's "recovered" format puts the recovery byte first.
  const recovered = concatBytes(Uint8Array.of(recovery), sig.subarray(0, 64));
  const pub = secp256k1.recoverPublicKey(recovered, personalSignDigest(text), { prehash: false });
  const full = secp256k1.Point.fromBytes(pub).toBytes(false);
  return bytesEqual(ethereumAddress(full), addr);
}

/** signature.response: text = hashes of the kept bytes, signer = the attested address, signature valid. */
export function checkResponseSignature(g: GatewayAttestation, opts: VerifyOptions): Check {
  const s: ResponseSignature | undefined = opts.responseSignature;
  if (!s) return skip('signature.response', 'no response signature given', 'no response signature given');
  if (!opts.requestBytes || !opts.responseBytes) return fail('signature.response', 'the request and response bytes are needed to check a response signature');
  const text = signedText(opts.requestBytes, opts.responseBytes);
  if (s.text !== text) return fail('signature.response', `signed text ${s.text} does not match the bytes you kept (${text})`);
  if (s.signing_algo !== g.signing_algo) return fail('signature.response', `signature is ${s.signing_algo} but the report attests a ${g.signing_algo} key; fetch the report with signing_algo=${s.signing_algo}`);
  if (String(s.signing_address).toLowerCase() !== String(g.signing_address).toLowerCase()) {
    return fail('signature.response', `signed by ${s.signing_address}, not by the attested ${g.signing_address}`);
  }
  try {
    return verifyTextSignature(text, s.signature, g.signing_address, g.signing_algo)
      ? pass('signature.response', `${s.signing_algo} signature by the attested key over request and response hashes`)
      : fail('signature.response', 'signature does not verify with the attested key');
  } catch (e) {
    return fail('signature.response', errorText(e));
  }
}
