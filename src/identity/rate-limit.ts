// Rate limits on /v1/auth/*: per client IP for every request, per account for password tries.
// Buckets live in Postgres (GCRA, src/limits) so replicas share them.
import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { AppMiddleware } from '../http/context.ts';
import { takeRate } from '../limits/rate.ts';

/** Middleware limiting requests per client IP. */
export function authRateLimit(db: Queryable, clock: Clock, perMinute: number): AppMiddleware {
  return async (ctx, next) => {
    await takeRate(db, clock, `auth:ip:${ctx.state.clientIp}`, perMinute, 'Too many sign-in requests from this address; try again later.');
    return next();
  };
}

/**
 * Limits password attempts on one account. The bucket is named by a hash of the address: what
 * someone typed into the email field (sometimes a password) never lands in a row.
 */
export function limitPasswordTries(db: Queryable, clock: Clock, email: string, perMinute: number): Promise<void> {
  const digest = createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
  return takeRate(db, clock, `auth:password:${digest}`, perMinute, 'Too many sign-in attempts for this account; try again later.');
}
