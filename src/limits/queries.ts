// SQL for limits: each check or charge is one statement (the logic lives in the plpgsql
// functions of limits.sql, so a check costs one round trip and holds across replicas).
// `prepared`: use a named statement (real Postgres only; see query()).
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface GcraResult { allowed: boolean; remaining: number; resetMs: number; retryMs: number }

/** Takes one unit from a GCRA bucket allowing `limit` per `periodMs`. */
export async function gcraTake(db: Queryable, bucket: string, nowMs: number, limit: number, periodMs: number): Promise<GcraResult> {
  const res = await query<{ allowed: boolean; remaining: string; reset_ms: number; retry_ms: number }>(db,
    'select allowed, remaining, reset_ms, retry_ms from cloister_gcra_take($1, $2, $3, $4)', [bucket, nowMs, limit, periodMs]);
  const r = res.rows[0]!;
  return { allowed: r.allowed, remaining: Number(r.remaining), resetMs: r.reset_ms, retryMs: r.retry_ms };
}

export type Verdict = 'ok' | 'disabled' | 'requests' | 'tokens' | 'concurrency' | 'daily_budget' | 'monthly_budget' | 'budget_reserved';

export interface AcquireRow {
  verdict: Verdict;
  retryMs: number;
  metered: boolean;
  userTpm: number | null;
  keyTpm: number | null;
  /** an admission row was written (id = the lease id): the settlement must remove it */
  leaseTaken: boolean;
  /** that admission reserves tokens: its usage is charged by whoever removes it */
  reserved: boolean;
  requests: { limit: number; remaining: number; resetMs: number } | null;
  tokens: { limit: number; remaining: number; resetMs: number } | null;
}

interface RawAcquire {
  verdict: Verdict; retry_ms: number; metered: boolean; user_tpm: string | null; key_tpm: string | null; lease_taken: boolean; reserved: boolean;
  rpm: string | null; requests_remaining: string | null; requests_reset_ms: number | null;
  tpm: string | null; tokens_remaining: string | null; tokens_reset_ms: number | null;
}

const numOrNull = (v: string | null): number | null => (v === null ? null : Number(v));

export interface AcquireArgs {
  userId: string; keyId: string | null; nowMs: number; leaseId: string; leaseExpiresMs: number;
  /** the most the request may cost: reserved against budgets and token buckets until it settles */
  reserveTokens: number;
  /** as usage rows name it */
  model: string;
  day: string; month: string;
}

/**
 * The pre-checks of several inference requests (see cloister_limit_acquire) in one statement
 * and one transaction; the answers come back in the order of `batch`. The checks run sorted by
 * user, so every batch takes the per-user locks in the same order: concurrent batches on any
 * replica wait for each other but never deadlock.
 */
export async function acquireMany(db: Queryable, prepared: boolean, tiers: string, batch: readonly AcquireArgs[]): Promise<AcquireRow[]> {
  if (batch.length === 1) {
    // Alone (an idle server, sequential requests): the plain call, ~0.07 ms faster than the
    // batch form, which pays for its arrays.
    const a = batch[0]!;
    const res = await query<RawAcquire>(db, 'select * from cloister_limit_acquire($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
      [a.userId, a.keyId, a.nowMs, tiers, a.leaseId, a.leaseExpiresMs, a.reserveTokens, a.model, a.day, a.month],
      prepared ? 'cloister_limit_acquire' : undefined);
    return [toAcquireRow(res.rows[0]!)];
  }
  const sorted = batch.map((a, i) => ({ a, i })).sort((x, y) => (x.a.userId < y.a.userId ? -1 : x.a.userId > y.a.userId ? 1 : x.i - y.i));
  const col = <K extends keyof AcquireArgs>(k: K) => sorted.map((s) => s.a[k]);
  const res = await query<RawAcquire & { i: string }>(db,
    `select a.i, r.* from unnest($1::uuid[], $2::uuid[], $3::float8[], $4::uuid[], $5::float8[], $6::bigint[], $7::text[], $8::date[], $9::date[])
        with ordinality as a (user_id, key_id, now_ms, lease_id, lease_expires, reserve, model, day, month, i)
      cross join lateral cloister_limit_acquire(a.user_id, a.key_id, a.now_ms, $10::jsonb, a.lease_id, a.lease_expires, a.reserve, a.model, a.day, a.month) r
      order by a.i`,
    [col('userId'), col('keyId'), col('nowMs'), col('leaseId'), col('leaseExpiresMs'), col('reserveTokens'), col('model'), col('day'), col('month'), tiers],
    prepared ? 'cloister_limit_acquire_many' : undefined);
  if (res.rows.length !== batch.length) throw new Error(`limits check answered ${res.rows.length} of ${batch.length} requests`);
  const out = new Array<AcquireRow>(batch.length);
  res.rows.forEach((r, j) => { out[sorted[j]!.i] = toAcquireRow(r); });
  return out;
}

function toAcquireRow(r: RawAcquire): AcquireRow {
  return {
    verdict: r.verdict,
    retryMs: r.retry_ms,
    metered: r.metered,
    userTpm: numOrNull(r.user_tpm),
    keyTpm: numOrNull(r.key_tpm),
    leaseTaken: r.lease_taken,
    reserved: r.reserved,
    requests: r.rpm === null ? null : { limit: Number(r.rpm), remaining: Number(r.requests_remaining), resetMs: r.requests_reset_ms ?? 0 },
    tokens: r.tpm === null ? null : { limit: Number(r.tpm), remaining: Number(r.tokens_remaining), resetMs: r.tokens_reset_ms ?? 0 },
  };
}

export interface SettleArgs {
  userId: string; keyId: string | null; nowMs: number; leaseId: string | null;
  /** the admission row under leaseId reserves tokens or waits for a response: charged by whoever removes it */
  reserved: boolean;
  /** what the exchange cost, for the token buckets */
  tokens: number;
  /** a background response's usage is still to come: its reservation waits until this time (ms) */
  keepUntilMs: number | null;
  record: { day: string; model: string; input: number; output: number; estimated: number } | null;
}

/**
 * Releases leases, settles reservations and records usage for metered exchanges
 * (cloister_limit_settle), several in one statement and transaction. They run sorted by user
 * and model, so concurrent batches lock the same token-bucket and usage rows in the same order.
 */
export async function settleMany(db: Queryable, prepared: boolean, batch: readonly SettleArgs[]): Promise<void> {
  const row = (s: SettleArgs) => [
    s.userId, s.keyId, s.nowMs, s.leaseId, s.reserved, s.tokens, s.keepUntilMs !== null, s.keepUntilMs,
    s.record !== null, s.record?.day ?? null, s.record?.model ?? null, s.record?.input ?? 0, s.record?.output ?? 0, s.record?.estimated ?? 0,
  ];
  if (batch.length === 1) {
    await query(db, 'select cloister_limit_settle($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)', row(batch[0]!),
      prepared ? 'cloister_limit_settle' : undefined);
    return;
  }
  const key = (s: SettleArgs) => `${s.userId} ${s.record?.model ?? ''}`;
  const rows = [...batch].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0)).map(row);
  const col = (i: number) => rows.map((r) => r[i]);
  const res = await query(db,
    `select 1 from unnest($1::uuid[], $2::uuid[], $3::float8[], $4::uuid[], $5::boolean[], $6::bigint[], $7::boolean[], $8::float8[],
                         $9::boolean[], $10::date[], $11::text[], $12::bigint[], $13::bigint[], $14::bigint[])
        as s (user_id, key_id, now_ms, lease_id, reserved, tokens, keep, keep_until, record, day, model, input, output, estimated)
      cross join lateral cloister_limit_settle(s.user_id, s.key_id, s.now_ms, s.lease_id, s.reserved, s.tokens, s.keep, s.keep_until,
                                               s.record, s.day, s.model, s.input, s.output, s.estimated)`,
    Array.from({ length: 14 }, (_, i) => col(i)),
    prepared ? 'cloister_limit_settle_many' : undefined);
  if (res.rows.length !== batch.length) throw new Error(`limits settle answered ${res.rows.length} of ${batch.length} exchanges`);
}

/** Pushes the expiry of the admissions of requests still running on this replica. */
export async function renewLeases(db: Queryable, ids: readonly string[], expiresMs: number): Promise<void> {
  if (ids.length === 0) return;
  await query(db, 'update admissions set expires_at = $2 where id = any($1::uuid[])', [ids, expiresMs]);
}

export interface AwaitResponseArgs {
  /** the request's admission (its lease id) or, without one, a new id */
  id: string; userId: string; keyId: string | null; responseId: string;
  /** what the row reserves when it is new */
  tokens: number; model: string;
  /** when a new row's wait ends */
  expiresMs: number;
  /** from when the follow-up may ask upstream about the response */
  checkAtMs: number;
  /** a new row is no request in flight (a user nothing limits): it waits from the start */
  waiting: boolean;
}

/** Links a background response to the reservation that waits for its usage (cloister_await_response). */
export async function awaitResponse(db: Queryable, a: AwaitResponseArgs): Promise<void> {
  await query(db, 'select cloister_await_response($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    [a.id, a.userId, a.keyId, a.responseId, a.tokens, a.model, a.expiresMs, a.checkAtMs, a.waiting]);
}

/**
 * Claims up to `limit` background responses still owed whose follow-up is due, for this replica
 * until `nextCheckMs` (rows another replica is claiming are skipped): the earliest due first.
 */
export async function claimResponsesToCheck(db: Queryable, nowMs: number, nextCheckMs: number, limit: number): Promise<Array<{ userId: string; responseId: string }>> {
  const res = await query<{ user_id: string; response_id: string }>(db,
    `update admissions set check_at = $2 where id in
       (select id from admissions where response_id is not null and check_at <= $1 order by check_at limit $3 for update skip locked)
     returning user_id, response_id`, [nowMs, nextCheckMs, limit]);
  return res.rows.map((r) => ({ userId: r.user_id, responseId: r.response_id }));
}

/**
 * Charges a background response's usage, once: true when this call removed its reservation
 * (cloister_charge_response). `usage` null: finished without usable usage, charged by estimate.
 */
export async function chargeResponse(db: Queryable, a: {
  userId: string; responseId: string; nowMs: number; day: string; usage: { input: number; output: number } | null;
}): Promise<boolean> {
  const res = await query<{ charged: boolean }>(db, 'select cloister_charge_response($1, $2, $3, $4, $5, $6, $7) as charged',
    [a.userId, a.responseId, a.nowMs, a.day, a.usage !== null, a.usage?.input ?? 0, a.usage?.output ?? 0]);
  return res.rows[0]!.charged;
}

/**
 * Deletes state that no longer limits anything: expired admissions (what they reserved is charged
 * by estimate, cloister_expire_admissions) and buckets whose tat has passed.
 */
// It skips rows a running check has locked: a batch of checks holds several users' rows until it
// commits, and a sweep waiting for one of them while holding another would deadlock with it.
export async function sweepLimitState(db: Queryable, nowMs: number, day: string): Promise<void> {
  await query(db, 'select cloister_expire_admissions($1, $2)', [nowMs, day]);
  await query(db, `delete from rate_limit_buckets where bucket in
    (select bucket from rate_limit_buckets where tat < $1 for update skip locked)`, [nowMs]);
}
