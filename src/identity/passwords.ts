// Optional password sign-in (AUTH_PASSWORD_ENABLED). argon2id; the same work and the same
// answer whether or not the account exists — at sign-in (one generic error) and at sign-up
// (accepted either way; the caller then signs in); throttled per IP (the /v1/auth limit) and
// per account (a fixed window on the email).
import { randomUUID } from 'node:crypto';
import argon2 from 'argon2';
import type { Pool } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { findUserByEmail, insertUser } from './user-queries.ts';
import { findPasswordByEmail, insertPassword } from './password-queries.ts';
import { limitPasswordTries } from './rate-limit.ts';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const MIN_LENGTH = 12;
const MAX_LENGTH = 1024;
const PER_ACCOUNT_PER_MINUTE = 10;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export interface PasswordService {
  /**
   * Creates an account (email unverified) when none has this email, and returns its id; null
   * when the email has an account already (that account is left untouched). The caller answers
   * both the same way, so sign-up does not tell whether an email is registered.
   */
  signUp(email: unknown, password: unknown): Promise<string | null>;
  /** returns the user id, or throws the one generic error */
  signIn(email: unknown, password: unknown): Promise<string>;
}

function generic(): AppError {
  return new AppError('unauthenticated', 'Incorrect email or password.');
}

/** Builds the password service. */
export function createPasswordService(db: Pool, clock: Clock): PasswordService {
  // Verified against when the account does not exist, so both paths cost one argon2 verify.
  let dummyHash: Promise<string> | null = null;
  return {
    async signUp(email, password) {
      if (typeof email !== 'string' || !EMAIL.test(email.trim())) throw new AppError('invalid_request', 'email is not a valid address', { param: 'email' });
      if (typeof password !== 'string' || [...password].length < MIN_LENGTH || password.length > MAX_LENGTH) {
        throw new AppError('invalid_request', `password must have at least ${MIN_LENGTH} characters`, { param: 'password' });
      }
      await limitPasswordTries(db, clock, email, PER_ACCOUNT_PER_MINUTE);
      const hash = await argon2.hash(password, OPTIONS);
      const existing = await findUserByEmail(db, email.trim());
      if (existing) return null;
      const userId = randomUUID();
      const now = clock.now();
      await withTransaction(db, async (tx) => {
        await insertUser(tx, { id: userId, email: email.trim(), emailVerified: false, displayName: null, isAdmin: false, now });
        await insertPassword(tx, userId, hash, now);
      });
      return userId;
    },
    async signIn(email, password) {
      if (typeof email !== 'string' || typeof password !== 'string' || email.length > 320 || password.length > MAX_LENGTH) throw generic();
      await limitPasswordTries(db, clock, email, PER_ACCOUNT_PER_MINUTE);
      const row = await findPasswordByEmail(db, email.trim());
      dummyHash ??= argon2.hash('cloister-dummy-password-for-equal-work', OPTIONS);
      const ok = await argon2.verify(row?.hash ?? await dummyHash, password);
      if (!row || !ok) throw generic();
      return row.user_id;
    },
  };
}
