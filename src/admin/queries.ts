// SQL for administration: user search with this month's usage in the same statement (no
// per-row round trip), account state and limits, and usage aggregates. Counts only.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface AdminUserRow {
  id: string;
  email: string | null;
  created_at: Date;
  last_active_at: Date | null;
  disabled_at: Date | null;
  is_admin: boolean;
  tier: string;
  limit_overrides: Record<string, number | null>;
  requests: string;
  input_tokens: string;
  output_tokens: string;
  estimated_tokens: string;
}

const SELECT_USERS = `
  select u.id, u.email, u.created_at, u.last_active_at, u.disabled_at, u.is_admin, u.tier, u.limit_overrides,
         coalesce(m.requests, 0)::text as requests, coalesce(m.input_tokens, 0)::text as input_tokens,
         coalesce(m.output_tokens, 0)::text as output_tokens, coalesce(m.estimated_tokens, 0)::text as estimated_tokens
    from users u
    left join lateral (
      select sum(d.requests) as requests, sum(d.input_tokens) as input_tokens,
             sum(d.output_tokens) as output_tokens, sum(d.estimated_tokens) as estimated_tokens
        from usage_daily d where d.user_id = u.id and d.day >= $1::date) m on true`;

/** A page of users, newest first: email containing `pattern` (a LIKE pattern, escaped) or id equal to `id`. */
export async function searchUsers(db: Queryable, q: {
  monthStart: string; pattern: string | null; id: string | null; limit: number; after: { created_at: Date; id: string } | null;
}): Promise<AdminUserRow[]> {
  const res = await query<AdminUserRow>(db,
    `${SELECT_USERS}
     where ($2::text is null or u.email ilike $2 escape '\\' or u.id = $3::uuid)
       and ($4::timestamptz is null or (u.created_at, u.id) < ($4::timestamptz, $5::uuid))
     order by u.created_at desc, u.id desc
     limit $6`,
    [q.monthStart, q.pattern, q.id, q.after?.created_at ?? null, q.after?.id ?? null, q.limit]);
  return res.rows;
}

/** One user with this month's usage, or null. */
export async function findAdminUser(db: Queryable, id: string, monthStart: string): Promise<AdminUserRow | null> {
  const res = await query<AdminUserRow>(db, `${SELECT_USERS} where u.id = $2`, [monthStart, id]);
  return res.rows[0] ?? null;
}

export interface UsageAggregateRow {
  key: string;
  email?: string | null;
  requests: string;
  input_tokens: string;
  output_tokens: string;
  estimated_tokens: string;
  requests_without_usage: string;
}

const SUMS = `sum(d.requests)::text as requests, sum(d.input_tokens)::text as input_tokens, sum(d.output_tokens)::text as output_tokens,
  sum(d.estimated_tokens)::text as estimated_tokens, sum(d.requests_without_usage)::text as requests_without_usage`;

/** Usage per UTC day between two dates (inclusive), oldest first. */
export async function usageByDay(db: Queryable, from: string, to: string): Promise<UsageAggregateRow[]> {
  const res = await query<UsageAggregateRow>(db,
    `select to_char(d.day, 'YYYY-MM-DD') as key, ${SUMS} from usage_daily d
      where d.day between $1::date and $2::date group by d.day order by d.day`, [from, to]);
  return res.rows;
}

/** Usage per model between two dates (inclusive), most tokens first. */
export async function usageByModel(db: Queryable, from: string, to: string): Promise<UsageAggregateRow[]> {
  const res = await query<UsageAggregateRow>(db,
    `select d.model as key, ${SUMS} from usage_daily d
      where d.day between $1::date and $2::date group by d.model
      order by sum(d.input_tokens + d.output_tokens + d.estimated_tokens) desc, d.model`, [from, to]);
  return res.rows;
}

/** The `limit` users with the most tokens between two dates (inclusive). */
export async function usageTopUsers(db: Queryable, from: string, to: string, limit: number): Promise<UsageAggregateRow[]> {
  const res = await query<UsageAggregateRow>(db,
    `select d.user_id::text as key, min(u.email) as email, ${SUMS} from usage_daily d join users u on u.id = d.user_id
      where d.day between $1::date and $2::date group by d.user_id
      order by sum(d.input_tokens + d.output_tokens + d.estimated_tokens) desc, d.user_id
      limit $3`, [from, to, limit]);
  return res.rows;
}
