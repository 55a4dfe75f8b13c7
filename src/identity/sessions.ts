// Browser sessions: a 256-bit random token in an HttpOnly cookie, only its SHA-256 in the
// database. Idle expiry slides (written at most once a minute), absolute expiry does not,
// each sign-in rotates, and a per-user cap evicts the oldest.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Principal } from '../shared/principal.ts';
import {
  insertSession, findLiveSessionByHash, touchSession, revokeSession, revokeUserSessions,
  listUserSessions, evictOldestSessions, deleteEndedSessions, type SessionRow,
} from './session-queries.ts';

const TOUCH_INTERVAL_MS = 60_000;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export type SignInMethod = 'google' | 'github' | 'passkey' | 'password';

export interface SessionOptions {
  readonly idleMs: number;
  readonly absoluteMs: number;
  readonly perUser: number;
}

export interface SessionService {
  /** opens a session (revoking `replacing`, the token the browser presented, if any); returns the new token */
  create(userId: string, method: SignInMethod, replacing?: string | null): Promise<{ token: string; id: string }>;
  /** the principal for a presented token, or null when unknown, revoked, expired or malformed */
  authenticate(token: string): Promise<Principal | null>;
  /** revokes the session a token names (logout) */
  revokeToken(token: string): Promise<void>;
  revoke(id: string, userId: string): Promise<boolean>;
  revokeAll(userId: string): Promise<void>;
  list(userId: string): Promise<SessionRow[]>;
}

/** SHA-256 of a session token, the only form the database sees. */
export function hashSessionToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Builds the session service. */
export function createSessionService(db: Queryable, clock: Clock, options: SessionOptions): SessionService {
  async function find(token: string): Promise<SessionRow | null> {
    if (!TOKEN.test(token)) return null;
    const row = await findLiveSessionByHash(db, hashSessionToken(token));
    if (!row) return null;
    const now = clock.now().getTime();
    if (row.expires_at.getTime() <= now) return null;
    if (now - row.last_seen_at.getTime() >= options.idleMs) return null;
    return row;
  }

  return {
    async create(userId, method, replacing) {
      if (replacing) {
        const old = await find(replacing);
        if (old) await revokeSession(db, old.id, old.user_id, clock.now());
      }
      const token = randomBytes(32).toString('base64url');
      const id = randomUUID();
      const now = clock.now();
      await insertSession(db, { id, userId, tokenHash: hashSessionToken(token), now, expiresAt: new Date(now.getTime() + options.absoluteMs), method });
      await evictOldestSessions(db, userId, options.perUser, now);
      await deleteEndedSessions(db, userId, new Date(now.getTime() - options.idleMs));
      return { token, id };
    },
    async authenticate(token) {
      const row = await find(token);
      if (!row) return null;
      const now = clock.now();
      if (now.getTime() - row.last_seen_at.getTime() >= TOUCH_INTERVAL_MS) await touchSession(db, row.id, now);
      return { userId: row.user_id, via: 'session', sessionId: row.id };
    },
    async revokeToken(token) {
      const row = await find(token);
      if (row) await revokeSession(db, row.id, row.user_id, clock.now());
    },
    revoke: (id, userId) => revokeSession(db, id, userId, clock.now()),
    revokeAll: (userId) => revokeUserSessions(db, userId, clock.now()),
    list(userId) {
      const now = clock.now();
      return listUserSessions(db, userId, now, new Date(now.getTime() - options.idleMs));
    },
  };
}
