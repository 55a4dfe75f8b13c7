// SQL for the api_keys table. Ownership is part of every where clause that takes a user.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface ApiKeyRow {
  id: string;
  user_id: string;
  prefix: string;
  hash: string;
  name: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  /** caps below the owner's limits: rpm, tpm, concurrency */
  limits: Record<string, number>;
}

export type ApiKeySummary = Omit<ApiKeyRow, 'hash'>;
export type RevokedApiKey = Pick<ApiKeyRow, 'id' | 'prefix' | 'user_id'>;

/** Stores a new key's hash. */
export async function insertApiKey(db: Queryable, k: { id: string; userId: string; prefix: string; hash: string; name: string | null; limits: Record<string, number>; now: Date }): Promise<ApiKeySummary> {
  const res = await query<ApiKeySummary>(db,
    `insert into api_keys (id, user_id, prefix, hash, name, limits, created_at) values ($1, $2, $3, $4, $5, $6, $7)
     returning id, user_id, prefix, name, created_at, last_used_at, revoked_at, limits`,
    [k.id, k.userId, k.prefix, k.hash, k.name, JSON.stringify(k.limits), k.now]);
  return res.rows[0]!;
}

/** The active key with this prefix whose owner is not disabled, with its hash. */
export async function findActiveKeyByPrefix(db: Queryable, prefix: string): Promise<ApiKeyRow | null> {
  const res = await query<ApiKeyRow>(db,
    `select k.id, k.user_id, k.prefix, k.hash, k.name, k.created_at, k.last_used_at, k.revoked_at, k.limits
       from api_keys k join users u on u.id = k.user_id
      where k.prefix = $1 and k.revoked_at is null and u.disabled_at is null`,
    [prefix]);
  return res.rows[0] ?? null;
}

/** Rewrites a key's stored hash, only if it is still `from` (a key rehashed on first use). */
export async function replaceApiKeyHash(db: Queryable, id: string, from: string, to: string): Promise<void> {
  await query(db, 'update api_keys set hash = $3 where id = $1 and hash = $2', [id, from, to]);
}

/** A user's keys, newest first, without hashes. */
export async function listApiKeys(db: Queryable, userId: string): Promise<ApiKeySummary[]> {
  const res = await query<ApiKeySummary>(db,
    `select id, user_id, prefix, name, created_at, last_used_at, revoked_at, limits
       from api_keys where user_id = $1 order by created_at desc, id`,
    [userId]);
  return res.rows;
}

/** Revokes a key by prefix (optionally only the given user's); returns the revoked row's id, prefix and owner. */
export async function revokeApiKey(db: Queryable, where: { prefix?: string; id?: string; userId?: string }, now: Date): Promise<RevokedApiKey | null> {
  const res = await query<RevokedApiKey>(db,
    `update api_keys set revoked_at = $4
      where ($1::text is null or prefix = $1) and ($2::uuid is null or id = $2) and ($3::uuid is null or user_id = $3)
        and revoked_at is null and ($1::text is not null or $2::uuid is not null)
      returning id, prefix, user_id`,
    [where.prefix ?? null, where.id ?? null, where.userId ?? null, now]);
  return res.rows[0] ?? null;
}

/** Revokes every active key of a user; returns the revoked keys' ids and prefixes. */
export async function revokeUserApiKeys(db: Queryable, userId: string, now: Date): Promise<Array<{ id: string; prefix: string }>> {
  const res = await query<{ id: string; prefix: string }>(db,
    'update api_keys set revoked_at = $2 where user_id = $1 and revoked_at is null returning id, prefix', [userId, now]);
  return res.rows;
}

/** Whether a key is still unrevoked and its owner not disabled (checked on every use of a cached key). */
export async function isApiKeyLive(db: Queryable, id: string): Promise<boolean> {
  const res = await query(db,
    'select 1 from api_keys k join users u on u.id = k.user_id where k.id = $1 and k.revoked_at is null and u.disabled_at is null', [id]);
  return res.rowCount === 1;
}

/** Records use of a key (called at most once a minute per key). */
export async function touchApiKey(db: Queryable, id: string, now: Date): Promise<void> {
  // The owner was active too (what `users list` shows as LAST ACTIVE), in the same statement.
  await query(db, `with k as (update api_keys set last_used_at = $2 where id = $1 returning user_id)
    update users set last_active_at = $2 where id = (select user_id from k) and (last_active_at is null or last_active_at < $2)`, [id, now]);
}
