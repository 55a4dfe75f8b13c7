// SQL for external identities: (provider, subject) → user.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

/** The user linked to a provider subject, or null. */
export async function findIdentityUser(db: Queryable, provider: string, subject: string): Promise<string | null> {
  const res = await query<{ user_id: string }>(db, 'select user_id from user_identities where provider = $1 and subject = $2', [provider, subject]);
  return res.rows[0]?.user_id ?? null;
}

/** Links a provider subject to a user (a subject already linked raises conflict). */
export async function insertIdentity(db: Queryable, provider: string, subject: string, userId: string, now: Date): Promise<void> {
  await query(db, 'insert into user_identities (provider, subject, user_id, created_at) values ($1, $2, $3, $4)', [provider, subject, userId, now]);
}
