// SQL for stored response signatures (text + signatures + owner; never the bytes signed).
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface SignatureRow {
  object_id: string;
  text: string;
  ecdsa_signature: string | null;
  ed25519_signature: string | null;
}

/** Records (or replaces, for the same owner) the text to sign for one object. */
export async function upsertSignedText(db: Queryable, s: { objectId: string; userId: string; text: string; now: Date; expiresAt: Date }): Promise<void> {
  await query(db,
    `insert into response_signatures (object_id, user_id, text, created_at, expires_at)
     values ($1, $2, $3, $4, $5)
     on conflict (object_id) do update set text = excluded.text, ecdsa_signature = null, ed25519_signature = null,
       created_at = excluded.created_at, expires_at = excluded.expires_at
     where response_signatures.user_id = excluded.user_id`,
    [s.objectId, s.userId, s.text, s.now, s.expiresAt]);
}

/** Keeps a signature made on request, for the same text only. */
export async function saveSignature(db: Queryable, objectId: string, userId: string, text: string, algo: 'ecdsa' | 'ed25519', signature: string): Promise<void> {
  await query(db,
    `update response_signatures set ${algo === 'ecdsa' ? 'ecdsa_signature' : 'ed25519_signature'} = $4
      where object_id = $1 and user_id = $2 and text = $3`,
    [objectId, userId, text, signature]);
}

/** The caller's unexpired signature for an object, or null. */
export async function findSignature(db: Queryable, objectId: string, userId: string, now: Date): Promise<SignatureRow | null> {
  const res = await query<SignatureRow>(db,
    `select object_id, text, ecdsa_signature, ed25519_signature from response_signatures
      where object_id = $1 and user_id = $2 and expires_at > $3`,
    [objectId, userId, now]);
  return res.rows[0] ?? null;
}

/** Deletes expired signatures; returns how many. */
export async function deleteExpiredSignatures(db: Queryable, now: Date): Promise<number> {
  const res = await query(db, 'delete from response_signatures where expires_at <= $1', [now]);
  return res.rowCount ?? 0;
}
