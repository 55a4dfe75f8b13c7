// Sealing of free-text user data (settings, conversation metadata) with AES-256-GCM. The key sits behind one
// interface: derived from SESSION_SECRET now, from dstack GetKey inside a TEE later.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface SealingKey {
  /** encrypts `plaintext`, bound to `context` (e.g. the owner's id) */
  seal(plaintext: Uint8Array, context: string): Buffer;
  /** decrypts; throws when the data or context was tampered with */
  open(sealed: Uint8Array, context: string): Buffer;
}

const VERSION = 1;

/** A sealing key from 32 bytes of key material. */
export function sealingKeyFromBytes(key: Uint8Array): SealingKey {
  if (key.length !== 32) throw new Error('sealing key must be 32 bytes');
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.setAAD(Buffer.from(context));
      const body = Buffer.concat([c.update(plaintext), c.final()]);
      return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]);
    },
    open(sealed, context) {
      const buf = Buffer.from(sealed);
      if (buf.length < 29 || buf[0] !== VERSION) throw new Error('unsupported sealed data');
      const d = createDecipheriv('aes-256-gcm', key, buf.subarray(1, 13));
      d.setAAD(Buffer.from(context));
      d.setAuthTag(buf.subarray(13, 29));
      return Buffer.concat([d.update(buf.subarray(29)), d.final()]);
    },
  };
}

/**
 * A sealing key of its own for one purpose (`settings`, `oauth-transaction`,
 * `conversation-metadata`), derived from the session secret with HKDF-SHA256: data sealed for
 * one purpose can never be opened as another's.
 */
export function sealingKeyFor(secret: Uint8Array, purpose: string): SealingKey {
  return sealingKeyFromBytes(new Uint8Array(hkdfSync('sha256', secret, 'cloister', `cloister/sealing/${purpose}`, 32)));
}
