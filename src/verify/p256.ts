// P-256/SHA-256 verification of raw r‖s signatures through WebCrypto (present in Node and
// browsers, and several times faster than pure-JS curve code, which keeps a full report
// verification well under 50 ms). WebCrypto's ECDSA takes exactly the raw r‖s form Intel uses
// and accepts high-S signatures, which Intel's QE produces.

/** Verify a 64-byte r‖s P-256 signature of sha256(message) by an uncompressed public key (65 bytes). */
export async function verifyP256(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  if (signature.length !== 64 || publicKey.length !== 65 || publicKey[0] !== 4) return false;
  try {
    const key = await crypto.subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, signature as Uint8Array<ArrayBuffer>, message as Uint8Array<ArrayBuffer>);
  } catch {
    // Not a point on the curve, or otherwise unusable: not a valid signature.
    return false;
  }
}
