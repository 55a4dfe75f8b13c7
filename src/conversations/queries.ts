// SQL for ownership rows and usage counters. Ownership is always in the WHERE clause.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export type OwnedKind = 'conversation' | 'response' | 'chat_completion' | 'item' | 'container' | 'file';

export interface OwnedRow {
  id: string;
  kind: OwnedKind;
  user_id: string;
  conversation_id: string | null;
  created_at: Date;
}

/** Records that `userId` owns upstream object `id`; an id already owned keeps its first owner. */
export async function insertOwned(db: Queryable, o: { id: string; kind: OwnedKind; userId: string; conversationId: string | null; now: Date }): Promise<boolean> {
  const res = await query(db,
    `insert into owned_objects (id, kind, user_id, conversation_id, created_at) values ($1, $2, $3, $4, $5)
     on conflict (id) do nothing`,
    [o.id, o.kind, o.userId, o.conversationId, o.now]);
  return res.rowCount === 1;
}

/**
 * Records that `userId` owns each of `ids` (of the kind at the same index), in one statement;
 * an id already owned keeps its first owner.
 */
export async function insertOwnedMany(db: Queryable, o: { ids: readonly string[]; kinds: readonly OwnedKind[]; userId: string; conversationId: string | null; now: Date }): Promise<void> {
  await query(db,
    `insert into owned_objects (id, kind, user_id, conversation_id, created_at)
     select t.id, t.kind, $3, $4, $5 from unnest($1::text[], $2::text[]) as t (id, kind)
     on conflict (id) do nothing`,
    [o.ids, o.kinds, o.userId, o.conversationId, o.now]);
}

/** The kinds of those of `ids` that are live objects owned by this user (others are absent). */
export async function findOwnedKinds(db: Queryable, ids: readonly string[], userId: string): Promise<Map<string, OwnedKind>> {
  const res = await query<{ id: string; kind: OwnedKind }>(db,
    'select id, kind from owned_objects where id = any($1::text[]) and user_id = $2 and deleted_at is null',
    [ids, userId]);
  return new Map(res.rows.map((r) => [r.id, r.kind]));
}

/** The live object of this kind owned by this user, or null (unknown, deleted or someone else's). */
export async function findOwned(db: Queryable, id: string, kind: OwnedKind, userId: string): Promise<OwnedRow | null> {
  const res = await query<OwnedRow>(db,
    `select id, kind, user_id, conversation_id, created_at from owned_objects
      where id = $1 and kind = $2 and user_id = $3 and deleted_at is null`,
    [id, kind, userId]);
  return res.rows[0] ?? null;
}

/** Marks an owned object deleted. */
export async function markOwnedDeleted(db: Queryable, id: string, kind: OwnedKind, userId: string, now: Date): Promise<void> {
  await query(db, 'update owned_objects set deleted_at = $4 where id = $1 and kind = $2 and user_id = $3 and deleted_at is null', [id, kind, userId, now]);
}

/** A page of a user's live objects of one kind, newest first, after an optional cursor object. */
export async function listOwned(db: Queryable, userId: string, kind: OwnedKind, limit: number, after: { createdAt: Date; id: string } | null): Promise<OwnedRow[]> {
  const res = await query<OwnedRow>(db,
    `select id, kind, user_id, conversation_id, created_at from owned_objects
      where user_id = $1 and kind = $2 and deleted_at is null
        and ($3::timestamptz is null or (created_at, id) < ($3::timestamptz, $4::text))
      order by created_at desc, id desc
      limit $5`,
    [userId, kind, after?.createdAt ?? null, after?.id ?? null, limit]);
  return res.rows;
}

/** Adds aggregated requests and tokens to a user's counters for one day and model. */
export async function addUsage(db: Queryable, u: { userId: string; day: string; model: string; requests: number; inputTokens: number; outputTokens: number; withoutUsage: number; estimatedTokens: number }): Promise<void> {
  await query(db,
    `insert into usage_daily (user_id, day, model, requests, input_tokens, output_tokens, requests_without_usage, estimated_tokens)
     values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (user_id, day, model) do update set
       requests = usage_daily.requests + excluded.requests,
       input_tokens = usage_daily.input_tokens + excluded.input_tokens,
       output_tokens = usage_daily.output_tokens + excluded.output_tokens,
       requests_without_usage = usage_daily.requests_without_usage + excluded.requests_without_usage,
       estimated_tokens = usage_daily.estimated_tokens + excluded.estimated_tokens`,
    [u.userId, u.day, u.model, u.requests, u.inputTokens, u.outputTokens, u.withoutUsage, u.estimatedTokens]);
}

export interface UsageRow {
  day: string;
  model: string;
  requests: string;
  input_tokens: string;
  output_tokens: string;
  requests_without_usage: string;
}

/** A user's counters since `sinceDay` (inclusive), newest day first. */
export async function listUsage(db: Queryable, userId: string, sinceDay: string): Promise<UsageRow[]> {
  const res = await query<UsageRow>(db,
    `select to_char(day, 'YYYY-MM-DD') as day, model, requests::text, input_tokens::text, output_tokens::text, requests_without_usage::text
       from usage_daily where user_id = $1 and day >= $2::date order by day desc, model`,
    [userId, sinceDay]);
  return res.rows;
}

/** A conversation of a listing page with its sealed metadata (null when none is kept). */
export interface ConversationRow extends OwnedRow {
  sealed_metadata: Uint8Array | null;
}

/** A page of a user's live conversations, newest first, each with its sealed metadata, after an optional cursor. */
export async function listConversations(db: Queryable, userId: string, limit: number, after: { createdAt: Date; id: string } | null): Promise<ConversationRow[]> {
  const res = await query<ConversationRow>(db,
    `select o.id, o.kind, o.user_id, o.conversation_id, o.created_at, m.sealed as sealed_metadata
       from owned_objects o left join conversation_metadata m on m.conversation_id = o.id and m.user_id = o.user_id
      where o.user_id = $1 and o.kind = 'conversation' and o.deleted_at is null
        and ($2::timestamptz is null or (o.created_at, o.id) < ($2::timestamptz, $3::text))
      order by o.created_at desc, o.id desc
      limit $4`,
    [userId, after?.createdAt ?? null, after?.id ?? null, limit]);
  return res.rows;
}

/**
 * Keeps the sealed metadata of a conversation this user owns (a live ownership row is required
 * in the same statement); false when they do not own it.
 */
export async function upsertConversationMetadata(db: Queryable, m: { conversationId: string; userId: string; sealed: Buffer; now: Date }): Promise<boolean> {
  const res = await query(db,
    `insert into conversation_metadata (conversation_id, user_id, sealed, updated_at)
     select $1, $2, $3, $4 where exists (
       select 1 from owned_objects where id = $1 and user_id = $2 and kind = 'conversation' and deleted_at is null)
     on conflict (conversation_id) do update set sealed = excluded.sealed, updated_at = excluded.updated_at
       where conversation_metadata.user_id = excluded.user_id`,
    [m.conversationId, m.userId, m.sealed, m.now]);
  return res.rowCount === 1;
}

/** Deletes (not marks) the sealed metadata of a user's conversation. */
export async function deleteConversationMetadata(db: Queryable, conversationId: string, userId: string): Promise<void> {
  await query(db, 'delete from conversation_metadata where conversation_id = $1 and user_id = $2', [conversationId, userId]);
}
