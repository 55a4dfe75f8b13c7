// Account creation and lookup shared by the CLI, sign-in and admin routes.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { insertUser, findUserByEmail, setAdmin, type UserRow } from './user-queries.ts';
import { revokeUserSessions } from './session-queries.ts';

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export interface UserService {
  createUser(input: { email: string; admin?: boolean; emailVerified?: boolean; displayName?: string | null }): Promise<UserRow>;
  findByEmail(email: string): Promise<UserRow | null>;
  grantAdmin(email: string): Promise<UserRow>;
}

/** Builds the user service over a database handle and a clock. */
export function createUserService(db: Queryable, clock: Clock): UserService {
  return {
    async createUser(input) {
      const email = input.email.trim();
      if (!EMAIL.test(email)) throw new AppError('invalid_request', 'email is not a valid address', { param: 'email' });
      return insertUser(db, {
        id: randomUUID(),
        email,
        emailVerified: input.emailVerified ?? false,
        displayName: input.displayName ?? null,
        isAdmin: input.admin ?? false,
        now: clock.now(),
      });
    },
    findByEmail: (email) => findUserByEmail(db, email.trim()),
    async grantAdmin(email) {
      const user = await findUserByEmail(db, email.trim());
      if (!user) throw new AppError('not_found', 'No user with that email.', { param: 'email' });
      await setAdmin(db, user.id, true);
      // A privilege change ends the user's sessions: the next sign-in gets a fresh one.
      if (!user.is_admin) await revokeUserSessions(db, user.id, clock.now());
      return { ...user, is_admin: true };
    },
  };
}
