// How an API key's secret is stored. The secret is 256 random bits, so what guards a leaked
// database is the hash's preimage resistance, not its cost: SHA-256 (as for other high-entropy
// tokens) verifies in a microsecond, where argon2id took tens of milliseconds and 19 MiB of a
// libuv thread per verification, once per key per cache TTL on every replica. Keys created
// before this change carry an argon2id hash; they still verify, and are rehashed on first use.
import { hash, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';

const PREFIX = 'sha256:';

/** The stored form of a new secret: `sha256:<hex>`. */
export function hashKeySecret(secret: string): string {
  return `${PREFIX}${hash('sha256', secret, 'hex')}`;
}

/** Whether `secret` matches `stored`; `upgrade` is set when the stored form is the old argon2id one. */
export async function verifyKeySecret(stored: string, secret: string): Promise<{ ok: boolean; upgrade: boolean }> {
  if (stored.startsWith(PREFIX)) {
    const expected = Buffer.from(stored.slice(PREFIX.length), 'hex');
    const actual = hash('sha256', secret, 'buffer');
    return { ok: expected.length === actual.length && timingSafeEqual(expected, actual), upgrade: false };
  }
  if (stored.startsWith('$argon2')) {
    const ok = await argon2.verify(stored, secret);
    return { ok, upgrade: ok };
  }
  return { ok: false, upgrade: false };
}
