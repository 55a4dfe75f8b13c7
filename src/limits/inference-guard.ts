// Limits on inference routes (chat completions, responses, embeddings), per user and per API
// key: requests and tokens per minute, concurrent requests, daily and monthly token budgets.
// One Postgres round trip before the request (cloister_limit_acquire) and, for users with
// token, concurrency or budget limits, one when the exchange completes, before its last byte
// (cloister_limit_settle: lease released, tokens charged, usage written); under load both are
// batched with those of other requests that arrive meanwhile (coalescer.ts). Nothing is counted
// in process memory, so every replica sees the same state. A failed check refuses the request.
// The one exception is an answer with nothing to count: a user (with that key) live and with no
// limit in force. A replica that hears every change to users and keys (principal-watch.ts)
// remembers it and skips the round trip until that user changes.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { describeError, type Logger } from '../log.ts';
import type { Config, TierLimits } from '../config.ts';
import { AppError } from '../errors.ts';
import type { RequestMeter } from '../http/context.ts';
import type { Principal } from '../auth/api-keys.ts';
import { acquireMany, settleMany, renewLeases, sweepLimitState, type AcquireArgs, type AcquireRow, type SettleArgs } from './queries.ts';
import { createCoalescer } from '../db/coalescer.ts';
import type { PrincipalWatch } from './principal-watch.ts';
import { rateLimitHeaders, retryAfter } from './headers.ts';
import { LIMIT_FIELDS } from './limit-values.ts';
import { estimateTokens, usableCounts } from './token-counts.ts';
import { utcDay, utcMonthStart, msUntilNextDay, msUntilNextMonth } from './periods.ts';

/** One inference request, as the limits see it (after authentication and the body). */
export interface AdmissionRequest {
  readonly principal: Principal;
  readonly requestBytes: number;
  readonly requestId: string;
  /** where the x-ratelimit-* headers go */
  readonly headers: { set(name: string, value: string): void };
}

/** A request the limits let through. */
export interface Admission {
  /** told about the completed exchange (users with token, concurrency or budget limits) */
  readonly meter?: RequestMeter;
  /** when the request is over: gives its lease back unless the exchange settled it */
  release(): Promise<void> | void;
}

export interface InferenceLimits {
  /** checks a request (throws the 429/503 refusal); a value at once when nothing needs asking */
  admit(r: AdmissionRequest): Admission | Promise<Admission>;
  /** stops renewing leases and sweeping */
  close(): void;
}

const SWEEP_INTERVAL_MS = 60_000;
const NOTHING_TO_SETTLE: Admission = { release() {} };
/** Up to 64 checks per statement, and up to 4 statements in flight per replica (so one slow
 * batch, e.g. waiting for a user's lock held on another replica, does not stall the rest). */
const CHECK_BATCHING = { maxBatch: 64, maxInFlight: 4 };

/** The tiers as the SQL function reads them: every tier fully resolved over the default, snake_case. */
function tiersForSql(limits: Config['limits']): string {
  const snake = (t: TierLimits) => Object.fromEntries(Object.entries(LIMIT_FIELDS).map(([json, key]) => [json, t[key]]));
  const out: Record<string, ReturnType<typeof snake>> = { default: snake(limits.default) };
  for (const [name, tier] of Object.entries(limits.tiers)) out[name] = snake({ ...limits.default, ...tier });
  return JSON.stringify(out);
}

/** Builds the inference limits for one app. */
export function createInferenceLimits(deps: {
  db: Queryable; clock: Clock; logger: Logger; limits: Config['limits'];
  /** named statements for the per-request calls (a real server; not the embedded database) */
  prepared: boolean;
  /** remembers live, unlimited principals (null: every request is checked in Postgres) */
  watch?: PrincipalWatch | null;
  /** counts each check by what answered it */
  onCheck?: (answeredBy: 'database' | 'watch') => void;
}): InferenceLimits {
  const { db, clock, logger, prepared } = deps;
  const watch = deps.watch ?? null;
  const onCheck = deps.onCheck ?? (() => {});
  const tiers = tiersForSql(deps.limits);
  const ttl = deps.limits.leaseTtlMs;
  const liveLeases = new Set<string>();
  // Checks that arrive while others are in flight share the next round trip (one statement,
  // one transaction): under load the per-request cost of the check is a fraction of a query.
  const checks = createCoalescer<AcquireArgs, AcquireRow>((batch) => acquireMany(db, prepared, tiers, batch), CHECK_BATCHING);
  // Settlements likewise; each request still waits for its own before its last byte goes out.
  const settlements = createCoalescer<SettleArgs, void>(async (batch) => {
    await settleMany(db, prepared, batch);
    return batch.map(() => undefined);
  }, CHECK_BATCHING);

  // Leases of requests still running here are pushed forward; a replica that dies stops
  // doing so and its leases expire after the TTL.
  const renewer = setInterval(() => {
    if (liveLeases.size === 0) return;
    renewLeases(db, [...liveLeases], clock.now().getTime() + ttl)
      .catch((e: unknown) => logger.warn({ event: 'limits.renew_failed', err: describeError(e) }));
  }, Math.max(1000, Math.floor(ttl / 3)));
  renewer.unref();
  const sweeper = setInterval(() => {
    sweepLimitState(db, clock.now().getTime())
      .catch((e: unknown) => logger.warn({ event: 'limits.sweep_failed', err: describeError(e) }));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();

  async function check(r: AdmissionRequest): Promise<Admission> {
    const { principal, requestId } = r;
    const keyId = principal.keyId ?? null;
    onCheck('database');
    const epoch = watch?.epoch() ?? 0;
    const now = clock.now();
    const leaseId = randomUUID();
    let row: AcquireRow;
    try {
      row = await checks.run({
        userId: principal.userId, keyId, nowMs: now.getTime(),
        leaseId, leaseExpiresMs: now.getTime() + ttl, estimateTokens: estimateTokens(r.requestBytes),
        day: utcDay(now), month: utcMonthStart(now),
      });
    } catch (e) {
      // Fail closed: without the shared state no replica may let a request through unchecked.
      logger.error({ event: 'limits.check_failed', request_id: requestId, err: describeError(e) });
      throw new AppError('service_unavailable', 'limits unavailable', { headers: { 'retry-after': '1' } });
    }
    const headers = { ...rateLimitHeaders('requests', row.requests), ...rateLimitHeaders('tokens', row.tokens) };
    for (const [k, v] of Object.entries(headers)) r.headers.set(k, v);
    if (row.verdict !== 'ok') throw refusal(principal, row, now);
    if (watch && isUnlimited(row)) watch.markClear(epoch, principal.userId, keyId);

    const lease = row.leaseTaken ? leaseId : null;
    let settled = false;
    const finish = async (tokens: number, record: SettleArgs['record']) => {
      settled = true;
      if (lease) liveLeases.delete(lease);
      await settlements.run({
        userId: principal.userId, keyId, nowMs: clock.now().getTime(), leaseId: lease,
        userTpm: row.userTpm, keyTpm: row.keyTpm, tokens, record,
      });
    };
    if (lease) liveLeases.add(lease);
    const meter: RequestMeter | undefined = row.metered ? {
      recordsUsage: true,
      async settle(e) {
        const known = e.inputTokens !== null && e.outputTokens !== null && usableCounts(e.inputTokens, e.outputTokens);
        const estimated = known ? 0 : estimateTokens(e.requestBytes + e.responseBytes);
        const tokens = known ? e.inputTokens! + e.outputTokens! : estimated;
        try {
          await finish(tokens, { day: utcDay(clock.now()), model: e.model, input: e.inputTokens ?? 0, output: e.outputTokens ?? 0, estimated });
        } catch (err) {
          logger.error({ event: 'limits.settle_failed', request_id: requestId, err: describeError(err) });
        }
      },
    } : undefined;
    return {
      meter,
      async release() {
        // No completed exchange (refused upstream, failed, or the client left before an answer):
        // give the lease back before the error response goes out.
        if (!lease || settled) return;
        await finish(0, null).catch((err: unknown) => {
          logger.warn({ event: 'limits.release_failed', request_id: requestId, err: describeError(err) });
        });
      },
    };
  }

  return {
    admit(r) {
      // A live principal with nothing to count, known without asking: no round trip, nothing to settle.
      if (watch?.isClear(r.principal.userId, r.principal.keyId ?? null)) {
        onCheck('watch');
        return NOTHING_TO_SETTLE;
      }
      return check(r);
    },
    close() {
      clearInterval(renewer);
      clearInterval(sweeper);
    },
  };
}

/** The answer for a live principal with no limit in force: nothing was counted, nothing needs settling. */
function isUnlimited(row: AcquireRow): boolean {
  return row.verdict === 'ok' && !row.metered && !row.leaseTaken && row.requests === null && row.tokens === null;
}

function refusal(principal: Principal, row: AcquireRow, now: Date): AppError {
  switch (row.verdict) {
    case 'disabled':
      // As if the credential had been looked up afresh: a disabled account's keys and sessions stop at once.
      return principal.via === 'api_key'
        ? new AppError('invalid_api_key', 'Incorrect API key provided.')
        : new AppError('unauthenticated', 'You didn\'t provide an API key. Send "Authorization: Bearer <api key>" or sign in.');
    case 'daily_budget':
      return new AppError('insufficient_quota', 'You exceeded your daily token budget; it resets at 00:00 UTC.', { headers: retryAfter(msUntilNextDay(now)) });
    case 'monthly_budget':
      return new AppError('insufficient_quota', 'You exceeded your monthly token budget; it resets on the first day of next month (UTC).', { headers: retryAfter(msUntilNextMonth(now)) });
    case 'concurrency':
      return new AppError('rate_limit_exceeded', 'Too many concurrent requests; wait for one to finish.', { headers: retryAfter(row.retryMs) });
    case 'tokens':
      return new AppError('rate_limit_exceeded', `Rate limit reached for tokens per minute (limit ${row.tokens?.limit ?? '?'}). Please try again later.`, { headers: retryAfter(row.retryMs) });
    default:
      return new AppError('rate_limit_exceeded', `Rate limit reached for requests per minute (limit ${row.requests?.limit ?? '?'}). Please try again later.`, { headers: retryAfter(row.retryMs) });
  }
}
