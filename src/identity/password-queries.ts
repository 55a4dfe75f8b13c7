// SQL for password hashes (argon2id only).
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

/** The user id and password hash for an email, or null. */
export async function findPasswordByEmail(db: Queryable, email: string): Promise<{ user_id: string; hash: string } | null> {
  const res = await query<{ user_id: string; hash: string }>(db,
    `select p.user_id, p.hash from user_passwords p join users u on u.id = p.user_id
     where lower(u.email) = lower($1) and u.disabled_at is null`, [email]);
  return res.rows[0] ?? null;
}

/** Stores a user's password hash. */
export async function insertPassword(db: Queryable, userId: string, hash: string, now: Date): Promise<void> {
  await query(db, 'insert into user_passwords (user_id, hash, updated_at) values ($1, $2, $3)', [userId, hash, now]);
}
