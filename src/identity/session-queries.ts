// SQL for sessions: one function per statement. Only SHA-256 of a token is ever stored.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  method: string;
}

const COLUMNS = 'id, user_id, created_at, last_seen_at, expires_at, method';

/** Inserts a session. */
export async function insertSession(db: Queryable, s: { id: string; userId: string; tokenHash: Buffer; now: Date; expiresAt: Date; method: string }): Promise<void> {
  await query(db,
    `insert into sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at, method)
     values ($1, $2, $3, $4, $4, $5, $6)`,
    [s.id, s.userId, s.tokenHash, s.now, s.expiresAt, s.method]);
}

/** The live (unrevoked) session with this token hash whose user is not disabled, or null. */
export async function findLiveSessionByHash(db: Queryable, tokenHash: Buffer): Promise<SessionRow | null> {
  const res = await query<SessionRow>(db,
    `select s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.method
     from sessions s join users u on u.id = s.user_id
     where s.token_hash = $1 and s.revoked_at is null and u.disabled_at is null`, [tokenHash]);
  return res.rows[0] ?? null;
}

/** Moves last_seen_at forward (the sliding idle window). */
export async function touchSession(db: Queryable, id: string, now: Date): Promise<void> {
  // The owner was active too (what `users list` shows as LAST ACTIVE), in the same statement.
  await query(db, `with s as (update sessions set last_seen_at = $2 where id = $1 and last_seen_at < $2 returning user_id)
    update users set last_active_at = $2 where id = (select user_id from s) and (last_active_at is null or last_active_at < $2)`, [id, now]);
}

/** Revokes one session of one user; false when nothing matched. */
export async function revokeSession(db: Queryable, id: string, userId: string, now: Date): Promise<boolean> {
  const res = await query(db, 'update sessions set revoked_at = $3 where id = $1 and user_id = $2 and revoked_at is null', [id, userId, now]);
  return res.rowCount === 1;
}

/** Revokes every session of a user. */
export async function revokeUserSessions(db: Queryable, userId: string, now: Date): Promise<void> {
  await query(db, 'update sessions set revoked_at = $2 where user_id = $1 and revoked_at is null', [userId, now]);
}

/** A user's unrevoked, unexpired sessions, newest first. */
export async function listUserSessions(db: Queryable, userId: string, now: Date, idleCutoff: Date): Promise<SessionRow[]> {
  const res = await query<SessionRow>(db,
    `select ${COLUMNS} from sessions
     where user_id = $1 and revoked_at is null and expires_at > $2 and last_seen_at > $3
     order by created_at desc, id desc`, [userId, now, idleCutoff]);
  return res.rows;
}

/** Revokes all but the newest `keep` live sessions of a user (the per-user cap). */
export async function evictOldestSessions(db: Queryable, userId: string, keep: number, now: Date): Promise<void> {
  await query(db,
    `update sessions set revoked_at = $3
     where user_id = $1 and revoked_at is null and id not in (
       select id from sessions where user_id = $1 and revoked_at is null
       order by created_at desc, id desc limit $2)`, [userId, keep, now]);
}

/** Deletes a user's sessions that ended before `before` (housekeeping at sign-in). */
export async function deleteEndedSessions(db: Queryable, userId: string, before: Date): Promise<void> {
  await query(db, 'delete from sessions where user_id = $1 and (expires_at < $2 or revoked_at < $2)', [userId, before]);
}
