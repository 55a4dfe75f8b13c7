// SQL for limits: each check or charge is one statement (the logic lives in the plpgsql
// functions of migration 0005, so a check costs one round trip and holds across replicas).
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

export type Verdict = 'ok' | 'disabled' | 'requests' | 'tokens' | 'concurrency' | 'daily_budget' | 'monthly_budget';

export interface AcquireRow {
  verdict: Verdict;
  retryMs: number;
  metered: boolean;
  userTpm: number | null;
  keyTpm: number | null;
  leaseTaken: boolean;
  requests: { limit: number; remaining: number; resetMs: number } | null;
  tokens: { limit: number; remaining: number; resetMs: number } | null;
}

interface RawAcquire {
  verdict: Verdict; retry_ms: number; metered: boolean; user_tpm: string | null; key_tpm: string | null; lease_taken: boolean;
  rpm: string | null; requests_remaining: string | null; requests_reset_ms: number | null;
  tpm: string | null; tokens_remaining: string | null; tokens_reset_ms: number | null;
}

const numOrNull = (v: string | null): number | null => (v === null ? null : Number(v));

/** The whole pre-check of one inference request (see cloister_limit_acquire). */
export async function acquire(db: Queryable, prepared: boolean, a: {
  userId: string; keyId: string | null; nowMs: number; tiers: string; leaseId: string; leaseExpiresMs: number;
  estimateTokens: number; day: string; month: string;
}): Promise<AcquireRow> {
  const res = await query<RawAcquire>(db,
    'select * from cloister_limit_acquire($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    [a.userId, a.keyId, a.nowMs, a.tiers, a.leaseId, a.leaseExpiresMs, a.estimateTokens, a.day, a.month],
    prepared ? 'cloister_limit_acquire' : undefined);
  const r = res.rows[0]!;
  return {
    verdict: r.verdict,
    retryMs: r.retry_ms,
    metered: r.metered,
    userTpm: numOrNull(r.user_tpm),
    keyTpm: numOrNull(r.key_tpm),
    leaseTaken: r.lease_taken,
    requests: r.rpm === null ? null : { limit: Number(r.rpm), remaining: Number(r.requests_remaining), resetMs: r.requests_reset_ms ?? 0 },
    tokens: r.tpm === null ? null : { limit: Number(r.tpm), remaining: Number(r.tokens_remaining), resetMs: r.tokens_reset_ms ?? 0 },
  };
}

/** Releases a lease, charges tokens and records usage for one metered exchange. */
export async function settle(db: Queryable, prepared: boolean, s: {
  userId: string; keyId: string | null; nowMs: number; leaseId: string | null; userTpm: number | null; keyTpm: number | null;
  tokens: number; record: { day: string; model: string; input: number; output: number; estimated: number } | null;
}): Promise<void> {
  await query(db, 'select cloister_limit_settle($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)', [
    s.userId, s.keyId, s.nowMs, s.leaseId, s.userTpm, s.keyTpm, s.tokens,
    s.record !== null, s.record?.day ?? null, s.record?.model ?? null, s.record?.input ?? 0, s.record?.output ?? 0, s.record?.estimated ?? 0,
  ], prepared ? 'cloister_limit_settle' : undefined);
}

/** Pushes the expiry of live leases held by this replica. */
export async function renewLeases(db: Queryable, ids: readonly string[], expiresMs: number): Promise<void> {
  if (ids.length === 0) return;
  await query(db, 'update concurrency_leases set expires_at = $2 where id = any($1::uuid[])', [ids, expiresMs]);
}

/** Deletes state that no longer limits anything: expired leases and buckets whose tat has passed. */
export async function sweepLimitState(db: Queryable, nowMs: number): Promise<void> {
  await query(db, 'delete from concurrency_leases where expires_at <= $1', [nowMs]);
  await query(db, 'delete from rate_limit_buckets where tat < $1', [nowMs]);
}
