// Per-IP fixed-window rate limit on /v1/auth/*, counted in Postgres so replicas share it.
// Deliberately simple; the limits capability may replace it with its own engine.
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { AppMiddleware } from '../http/context.ts';
import { AppError } from '../errors.ts';
import { hitCounter, deleteOldCounters } from './rate-limit-queries.ts';

const WINDOW_MS = 60_000;

/** Counts a hit for `bucket`; throws 429 with retry-after once more than `limit` arrive in the window. */
export async function consumeRate(db: Queryable, clock: Clock, bucket: string, limit: number): Promise<void> {
  const now = clock.now().getTime();
  const start = now - (now % WINDOW_MS);
  const hits = await hitCounter(db, bucket, new Date(start));
  if (hits === 1) await deleteOldCounters(db, new Date(start - WINDOW_MS));
  if (hits > limit) {
    const retry = Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000));
    throw new AppError('rate_limit_exceeded', 'Too many sign-in requests from this address; try again later.', { headers: { 'retry-after': String(retry) } });
  }
}

/** Middleware limiting requests per client IP. */
export function authRateLimit(db: Queryable, clock: Clock, perMinute: number): AppMiddleware {
  return async (ctx, next) => {
    await consumeRate(db, clock, `ip:${ctx.state.clientIp}`, perMinute);
    return next();
  };
}
