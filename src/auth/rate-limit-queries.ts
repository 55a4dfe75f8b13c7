// SQL for the fixed-window counters behind the /v1/auth/* rate limit.
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

/** Adds one hit to a bucket's window and returns the new count. */
export async function hitCounter(db: Queryable, bucket: string, windowStart: Date): Promise<number> {
  const res = await query<{ hits: number }>(db,
    `insert into auth_rate_counters (bucket, window_start, hits) values ($1, $2, 1)
     on conflict (bucket, window_start) do update set hits = auth_rate_counters.hits + 1
     returning hits`, [bucket, windowStart]);
  return res.rows[0]!.hits;
}

/** Deletes windows that started before `before`. */
export async function deleteOldCounters(db: Queryable, before: Date): Promise<void> {
  await query(db, 'delete from auth_rate_counters where window_start < $1', [before]);
}
