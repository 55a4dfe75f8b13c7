// SQL for the users table: one function per statement, explicit columns.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface UserRow {
  id: string;
  email: string;
  email_verified: boolean;
  display_name: string | null;
  is_admin: boolean;
  disabled_at: Date | null;
  created_at: Date;
  last_active_at: Date | null;
}

const COLUMNS = 'id, email, email_verified, display_name, is_admin, disabled_at, created_at, last_active_at';

/** Inserts a user; a duplicate email raises a `conflict` AppError. */
export async function insertUser(db: Queryable, u: { id: string; email: string; emailVerified: boolean; displayName: string | null; isAdmin: boolean; now: Date }): Promise<UserRow> {
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
