// SQL for stored response signatures (text + signatures + owner; never the bytes signed).
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface SignatureRow {
  object_id: string;
  text: string;
  ecdsa_signature: string | null;
  ed25519_signature: string | null;
}

/** One object's text to sign, with its owner and lifetime. */
export interface SignedText { objectId: string; userId: string; text: string; now: Date; expiresAt: Date }

// One statement, one round trip (replies wait for their rows; begin, set, insert and commit were
// four). The commit does not wait for a WAL flush (set_config(…, true) is SET LOCAL for this
// statement's own transaction): a Postgres crash may lose the last instants' rows, which expire
// anyway; readers see a row as soon as it commits.
const UPSERT_SIGNED_TEXTS = `with async_commit as (select set_config('synchronous_commit', 'off', true))
  insert into response_signatures (object_id, user_id, text, created_at, expires_at)
  select r.* from unnest($1::text[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[]) as r, async_commit
  on conflict (object_id) do update set text = excluded.text, ecdsa_signature = null, ed25519_signature = null,
    created_at = excluded.created_at, expires_at = excluded.expires_at
  where response_signatures.user_id = excluded.user_id`;

/**
 * Records (or replaces, for the same owner) the texts to sign of several objects, in one
 * statement. An object named twice (only a misbehaving upstream repeats an id) takes a statement
 * per repeat, in order, as if each had been written alone: one statement cannot update a row twice.
 */
export async function upsertSignedTexts(db: Queryable, rows: readonly SignedText[]): Promise<void> {
  const seen = new Set<string>();
  const first: SignedText[] = [];
  const repeats: SignedText[] = [];
  for (const r of rows) {
    if (seen.has(r.objectId)) repeats.push(r);
    else {
      seen.add(r.objectId);
      first.push(r);
    }
  }
  const many = (batch: readonly SignedText[]) => query(db, UPSERT_SIGNED_TEXTS, [
    batch.map((r) => r.objectId), batch.map((r) => r.userId), batch.map((r) => r.text), batch.map((r) => r.now), batch.map((r) => r.expiresAt),
  ]);
  await many(first);
  for (const r of repeats) await many([r]);
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
