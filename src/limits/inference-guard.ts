// Limits on inference routes (chat completions, responses, embeddings), per user and per API
// key: requests and tokens per minute, concurrent requests, daily and monthly token budgets.
// One Postgres round trip before the request (cloister_limit_acquire: it also reserves the most
// the request may cost against the budgets and token buckets) and, for users with token,
// concurrency or budget limits, one when the exchange completes, before its last byte
// (cloister_limit_settle: admission removed, the real cost charged, usage written);
// under load both are batched with those of other requests that arrive meanwhile
// (coalescer.ts). Nothing is counted in process memory, so every replica sees the same state. A
// failed check refuses the request. The one exception is an answer with nothing to count: a user
// (with that key) live and with no limit in force. A replica that hears every change to users
// and keys (principal-watch.ts) remembers it and skips the round trip until that user changes.
// A background response's usage arrives later: its reservation waits, linked to the response,
// and is charged once when the usage is first seen (chargeResponse).
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { describeError, type Logger } from '../log.ts';
import type { Config, TierLimits } from '../config.ts';
import { AppError } from '../errors.ts';
import type { RequestMeter } from '../shared/metering.ts';
import type { Principal } from '../shared/principal.ts';
import { acquireMany, settleMany, renewLeases, sweepLimitState, awaitResponse, chargeResponse, claimResponsesToCheck, type AcquireArgs, type AcquireRow, type SettleArgs } from './queries.ts';
import { createCoalescer } from '../db/coalescer.ts';
import type { PrincipalWatch } from './principal-watch.ts';
import { rateLimitHeaders, retryAfter } from './headers.ts';
import { LIMIT_FIELDS } from '../shared/tier-limits.ts';
import { estimateTokens, usableCounts } from '../shared/token-counts.ts';
import { utcDay, utcMonthStart, msUntilNextDay, msUntilNextMonth } from './periods.ts';

/** One inference request, as the limits see it (after authentication and the body). */
export interface AdmissionRequest {
  readonly principal: Principal;
  /** the most the request may cost in tokens (input estimate plus output cap, or the default) */
  readonly reserveTokens: number;
  /** the model as usage rows name it */
  readonly model: string;
  /** a background response: its usage comes after the request, and is charged when first seen */
  readonly background: boolean;
  readonly requestId: string;
  /** where the x-ratelimit-* headers go */
  readonly headers: { set(name: string, value: string): void };
}

/** A request the limits let through. */
export interface Admission {
  /** told about the completed exchange (users with token, concurrency or budget limits; background responses) */
  readonly meter?: RequestMeter;
  /**
   * When the request is over: gives its lease and reservation back unless the exchange settled
   * them. `clientLeft`: the client went away before any answer; a background response then runs
   * on upstream unseen, so its reservation is charged by estimate instead of given back.
   */
  release(options?: { clientLeft?: boolean }): Promise<void> | void;
}

/** A background response's usage, first seen by the proxy (null: finished without usable usage). */
export interface ResponseUsage { readonly inputTokens: number; readonly outputTokens: number }

export interface InferenceLimits {
  /** checks a request (throws the 429/503 refusal); a value at once when nothing needs asking */
  admit(r: AdmissionRequest): Admission | Promise<Admission>;
  /**
   * Charges a finished background response's usage if it is still owed (once, whichever replica
   * or route sees it first); true when this call charged it.
   */
  chargeResponse(userId: string, responseId: string, usage: ResponseUsage | null): Promise<boolean>;
  /**
   * Background responses still owed whose follow-up is due (up to `max`), claimed by this replica
   * for one BUDGET_BACKGROUND_CHECK_SECONDS interval, for Cloister's own look upstream.
   */
  responsesToCheck(max: number): Promise<Array<{ userId: string; responseId: string }>>;
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
  const backgroundWaitMs = deps.limits.backgroundWaitMs;
  /** admissions (leases) of requests running here */
  const live = new Set<string>();
  // Checks that arrive while others are in flight share the next round trip (one statement,
  // one transaction): under load the per-request cost of the check is a fraction of a query.
  const checks = createCoalescer<AcquireArgs, AcquireRow>((batch) => acquireMany(db, prepared, tiers, batch), CHECK_BATCHING);
  // Settlements likewise; each request still waits for its own before its last byte goes out.
  const settlements = createCoalescer<SettleArgs, void>(async (batch) => {
    await settleMany(db, prepared, batch);
    return batch.map(() => undefined);
  }, CHECK_BATCHING);

  // Admissions of requests still running here are pushed forward; a replica that dies stops
  // doing so: after the TTL its requests stop counting as concurrent, and the sweep charges
  // what they reserved by estimate.
  const stopRenewing = clock.every(Math.max(1000, Math.floor(ttl / 3)), () => {
    if (live.size === 0) return;
    renewLeases(db, [...live], clock.now().getTime() + ttl)
      .catch((e: unknown) => logger.warn({ event: 'limits.renew_failed', err: describeError(e) }));
  });
  const stopSweeping = clock.every(SWEEP_INTERVAL_MS, () => {
    const now = clock.now();
    sweepLimitState(db, now.getTime(), utcDay(now))
      .catch((e: unknown) => logger.warn({ event: 'limits.sweep_failed', err: describeError(e) }));
  });

  /**
   * Links a background response to the admission that waits for its usage: the request's own
   * (`id` its lease id), or a new row for a user nothing limits (`waiting` from the start).
   */
  const linkResponse = (r: AdmissionRequest, id: string, responseId: string, waiting: boolean) => awaitResponse(db, {
    id, userId: r.principal.userId, keyId: r.principal.keyId ?? null, responseId, waiting,
    tokens: r.reserveTokens, model: r.model, expiresMs: clock.now().getTime() + backgroundWaitMs, checkAtMs: clock.now().getTime(),
  });

  async function chargeResponseUsage(userId: string, responseId: string, usage: ResponseUsage | null): Promise<boolean> {
    const now = clock.now();
    return chargeResponse(db, {
      userId, responseId, nowMs: now.getTime(), day: utcDay(now),
      usage: usage && usableCounts(usage.inputTokens, usage.outputTokens) ? { input: usage.inputTokens, output: usage.outputTokens } : null,
    });
  }

  /** A background response of a user nothing limits: no reservation, but its usage is still recorded once, when first seen. */
  function unmeteredBackground(r: AdmissionRequest): Admission {
    let responseId: string | null = null;
    return {
      meter: {
        async awaitUsage(id) {
          await linkResponse(r, randomUUID(), id, true);
          responseId = id;
        },
        async settle(e) {
          if (responseId === null) return false; // no response to wait for: the batched recorder counts it
          const known = e.inputTokens !== null && e.outputTokens !== null;
          if (known) await chargeResponseUsage(r.principal.userId, responseId, { inputTokens: e.inputTokens!, outputTokens: e.outputTokens! });
          return true;
        },
      },
      release() {},
    };
  }

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
        leaseId, leaseExpiresMs: now.getTime() + ttl, reserveTokens: r.reserveTokens, model: r.model,
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
    if (!row.metered) return r.background ? unmeteredBackground(r) : NOTHING_TO_SETTLE;

    /** an admission row exists under leaseId: written by the check, or by linking a background response */
    let admitted = row.leaseTaken;
    /** its usage is charged by whoever removes it: it reserves tokens, or waits for a response */
    let reserved = row.reserved;
    /** linked to a background response: usage unknown at the end means it is still to come */
    let linked = false;
    let settled = false;
    const finish = async (tokens: number, record: SettleArgs['record'], keep = false) => {
      settled = true;
      live.delete(leaseId);
      await settlements.run({
        userId: principal.userId, keyId, nowMs: clock.now().getTime(), leaseId: admitted ? leaseId : null,
        reserved, tokens, keepUntilMs: keep ? clock.now().getTime() + backgroundWaitMs : null, record,
      });
    };
    if (admitted) live.add(leaseId);
    const meter: RequestMeter = {
      async settle(e) {
        const known = e.inputTokens !== null && e.outputTokens !== null && usableCounts(e.inputTokens, e.outputTokens);
        try {
          if (!known && linked) {
            await finish(0, null, true); // the usage comes later, on the response: the reservation waits for it
          } else {
            const estimated = known ? 0 : estimateTokens(e.requestBytes + e.responseBytes);
            const tokens = known ? e.inputTokens! + e.outputTokens! : estimated;
            await finish(tokens, { day: utcDay(clock.now()), model: e.model, input: known ? e.inputTokens! : 0, output: known ? e.outputTokens! : 0, estimated });
          }
        } catch (err) {
          logger.error({ event: 'limits.settle_failed', request_id: requestId, err: describeError(err) });
        }
        return true;
      },
      ...(r.background ? {
        async awaitUsage(responseId: string) {
          await linkResponse(r, leaseId, responseId, false);
          admitted = true;
          reserved = true;
          linked = true;
          live.add(leaseId);
        },
      } : {}),
    };
    return {
      meter,
      async release(options) {
        // No completed exchange (refused upstream, failed, or the client left before an answer):
        // give the lease and the reservation back before the error response goes out — unless
        // a background response may be running upstream unseen, which is charged its reservation.
        if (settled || !admitted) return;
        const unseen = options?.clientLeft === true && r.background && reserved;
        const charge = unseen ? { day: utcDay(clock.now()), model: r.model, input: 0, output: 0, estimated: r.reserveTokens } : null;
        await finish(unseen ? r.reserveTokens : 0, charge).catch((err: unknown) => {
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
        return r.background ? unmeteredBackground(r) : NOTHING_TO_SETTLE;
      }
      return check(r);
    },
    chargeResponse: chargeResponseUsage,
    responsesToCheck(max) {
      const now = clock.now().getTime();
      return claimResponsesToCheck(db, now, now + deps.limits.backgroundCheckMs, max);
    },
    close() {
      stopRenewing();
      stopSweeping();
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
    case 'budget_reserved':
      return new AppError('insufficient_quota', 'What is left of your token budget is reserved by requests still running (background responses included); retry when they finish.', { headers: retryAfter(row.retryMs) });
    case 'concurrency':
      return new AppError('rate_limit_exceeded', 'Too many concurrent requests; wait for one to finish.', { headers: retryAfter(row.retryMs) });
    case 'tokens':
      return new AppError('rate_limit_exceeded', `Rate limit reached for tokens per minute (limit ${row.tokens?.limit ?? '?'}). Please try again later.`, { headers: retryAfter(row.retryMs) });
    default:
      return new AppError('rate_limit_exceeded', `Rate limit reached for requests per minute (limit ${row.requests?.limit ?? '?'}). Please try again later.`, { headers: retryAfter(row.retryMs) });
  }
}
