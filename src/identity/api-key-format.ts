// API key format: `ck_<prefix>_<secret>`.
//   prefix: 12 characters of lowercase base32 (60 random bits), unique, stored in clear and
//           shown in key lists so a user can tell keys apart and revoke one;
//   secret: 43 characters of base64url (256 random bits), stored only as a SHA-256 hash
//           (api-key-secret-hash.ts).
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const PATTERN = /^ck_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  readonly prefix: string;
  readonly secret: string;
}

/** A fresh random key and its parts. */
export function generateApiKey(): { key: string; prefix: string; secret: string } {
  const bytes = randomBytes(12);
  let prefix = '';
  for (const b of bytes) prefix += ALPHABET[b & 31];
  const secret = randomBytes(32).toString('base64url');
  return { key: `ck_${prefix}_${secret}`, prefix, secret };
}

/** Splits a presented key, or null when it is not in our format. */
export function parseApiKey(key: string): ParsedApiKey | null {
  const m = PATTERN.exec(key);
  return m ? { prefix: m[1]!, secret: m[2]! } : null;
}

/** Whether a string looks like a key prefix (for `keys revoke --prefix`). */
export function isApiKeyPrefix(s: string): boolean {
  return /^[a-z2-7]{12}$/.test(s);
}
