// Idempotency-Key, namespaced per user. Every user shares one upstream key, so a client's
// Idempotency-Key forwarded as sent would let one user replay (and read) another's answer by
// reusing their key. What goes upstream is instead an HMAC of the user id and the key: the same
// user and key always give the same value (on every replica), two users never collide, and
// upstream learns neither the key nor the user.
import { createHmac } from 'node:crypto';
import { AppError } from '../errors.ts';

/** Maps (user, client key) to the key sent upstream. */
export type IdempotencyKeys = (userId: string, clientKey: string) => string;

/** Visible ASCII, as header values and every SDK's generated keys are. */
const CLIENT_KEY = /^[\x21-\x7e]{1,255}$/;

/** The namespacing function for a deployment secret (the session secret: every replica shares it). */
export function idempotencyKeys(secret: Uint8Array): IdempotencyKeys {
  const key = createHmac('sha256', secret).update('cloister/idempotency-key/v1').digest();
  return (userId, clientKey) => {
    if (!CLIENT_KEY.test(clientKey)) {
      throw new AppError('invalid_request', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', { param: 'Idempotency-Key' });
    }
    return `cloister-${createHmac('sha256', key).update(userId).update('\u0000').update(clientKey).digest('base64url')}`;
  };
}
