// SQL for one-use challenges: WebAuthn ceremonies and OAuth transactions. A row is deleted
// when it is used, so nothing can be answered twice.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface ChallengeRow {
  id: string;
  purpose: string;
  user_id: string | null;
  pending_handle: string | null;
  pending_display_name: string | null;
}

/** Stores a one-use challenge. */
export async function insertChallenge(db: Queryable, c: { id: string; purpose: string; challenge: string; userId: string | null; pendingHandle: string | null; pendingDisplayName: string | null; expiresAt: Date }): Promise<void> {
  await query(db,
    `insert into auth_challenges (id, purpose, challenge, user_id, pending_handle, pending_display_name, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7)`,
    [c.id, c.purpose, c.challenge, c.userId, c.pendingHandle, c.pendingDisplayName, c.expiresAt]);
}

/** Deletes and returns an unexpired challenge (one use: a second call finds nothing). */
export async function consumeChallenge(db: Queryable, challenge: string, purpose: string, now: Date): Promise<ChallengeRow | null> {
  const res = await query<ChallengeRow & { expires_at: Date }>(db,
    `delete from auth_challenges where challenge = $1 and purpose = $2
     returning id, purpose, user_id, pending_handle, pending_display_name, expires_at`, [challenge, purpose]);
  const row = res.rows[0];
  return row && row.expires_at > now ? row : null;
}

/** Deletes expired challenges (housekeeping). */
export async function deleteExpiredChallenges(db: Queryable, now: Date): Promise<void> {
  await query(db, 'delete from auth_challenges where expires_at <= $1', [now]);
}
