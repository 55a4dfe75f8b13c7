// SQL for the users table: one function per statement, explicit columns.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface UserRow {
  id: string;
  email: string | null;
  email_verified: boolean;
  display_name: string | null;
  is_admin: boolean;
  disabled_at: Date | null;
  created_at: Date;
  last_active_at: Date | null;
}

const COLUMNS = 'id, email, email_verified, display_name, is_admin, disabled_at, created_at, last_active_at';

/** Inserts a user; a duplicate email raises a `conflict` AppError. */
export async function insertUser(db: Queryable, u: { id: string; email: string | null; emailVerified: boolean; displayName: string | null; isAdmin: boolean; now: Date }): Promise<UserRow> {
  const res = await query<UserRow>(db,
    `insert into users (id, email, email_verified, display_name, is_admin, created_at)
     values ($1, $2, $3, $4, $5, $6) returning ${COLUMNS}`,
    [u.id, u.email, u.emailVerified, u.displayName, u.isAdmin, u.now]);
  return res.rows[0]!;
}

/** The user with this email (case-insensitive), or null. */
export async function findUserByEmail(db: Queryable, email: string): Promise<UserRow | null> {
  const res = await query<UserRow>(db, `select ${COLUMNS} from users where lower(email) = lower($1)`, [email]);
  return res.rows[0] ?? null;
}

/** The user with this id, or null. */
export async function findUserById(db: Queryable, id: string): Promise<UserRow | null> {
  const res = await query<UserRow>(db, `select ${COLUMNS} from users where id = $1`, [id]);
  return res.rows[0] ?? null;
}

/** Sets the admin flag; returns whether a user was changed. */
export async function setAdmin(db: Queryable, id: string, isAdmin: boolean): Promise<boolean> {
  const res = await query(db, 'update users set is_admin = $2 where id = $1', [id, isAdmin]);
  return res.rowCount === 1;
}

/** Sets the display name; returns the updated user or null. */
export async function updateDisplayName(db: Queryable, id: string, displayName: string | null): Promise<UserRow | null> {
  const res = await query<UserRow>(db, `update users set display_name = $2 where id = $1 returning ${COLUMNS}`, [id, displayName]);
  return res.rows[0] ?? null;
}

/** Sets the email (verified, from a provider) of a user that has none yet. */
export async function setVerifiedEmailIfMissing(db: Queryable, id: string, email: string): Promise<void> {
  await query(db, `update users set email = $2, email_verified = true
     where id = $1 and email is null and not exists (select 1 from users where lower(email) = lower($2))`, [id, email]);
}

/** Records sign-in activity. */
export async function touchUserActive(db: Queryable, id: string, now: Date): Promise<void> {
  await query(db, 'update users set last_active_at = $2 where id = $1', [id, now]);
}

/** The sealed settings blob of a user, or null. */
export async function findSealedSettings(db: Queryable, userId: string): Promise<Buffer | null> {
  const res = await query<{ sealed: Buffer }>(db, 'select sealed from user_settings where user_id = $1', [userId]);
  return res.rows[0]?.sealed ?? null;
}

/** Stores a user's sealed settings blob. */
export async function upsertSealedSettings(db: Queryable, userId: string, sealed: Buffer, now: Date): Promise<void> {
  await query(db,
    `insert into user_settings (user_id, sealed, updated_at) values ($1, $2, $3)
     on conflict (user_id) do update set sealed = excluded.sealed, updated_at = excluded.updated_at`, [userId, sealed, now]);
}

/** Marks a user disabled; returns whether a user was changed. */
export async function setDisabled(db: Queryable, id: string, now: Date): Promise<boolean> {
  const res = await query(db, 'update users set disabled_at = $2 where id = $1 and disabled_at is null', [id, now]);
  return res.rowCount === 1;
}

/** Clears disabled_at; returns whether a user was changed. */
export async function setEnabled(db: Queryable, id: string): Promise<boolean> {
  const res = await query(db, 'update users set disabled_at = null where id = $1 and disabled_at is not null', [id]);
  return res.rowCount === 1;
}

/** Deletes a user; every owned row goes with it (foreign keys cascade). */
export async function deleteUser(db: Queryable, id: string): Promise<boolean> {
  const res = await query(db, 'delete from users where id = $1', [id]);
  return res.rowCount === 1;
}

/** Locks a user row for the rest of the transaction; returns its state, or null. */
export async function lockUserLimits(db: Queryable, id: string): Promise<{ tier: string; limit_overrides: Record<string, number | null> } | null> {
  const res = await query<{ tier: string; limit_overrides: Record<string, number | null> }>(db,
    'select tier, limit_overrides from users where id = $1 for update', [id]);
  return res.rows[0] ?? null;
}

/** Sets a user's tier and overrides. */
export async function updateUserLimits(db: Queryable, id: string, tier: string, overrides: Record<string, number | null>): Promise<void> {
  await query(db, 'update users set tier = $2, limit_overrides = $3 where id = $1', [id, tier, JSON.stringify(overrides)]);
}
