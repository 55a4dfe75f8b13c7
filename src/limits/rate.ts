// Requests-per-minute limits on one named bucket (an IP, an account, a user on a route class),
// held in Postgres with GCRA so every replica shares them. Used by sign-in and attestation;
// inference requests go through the fuller check in inference-guard.ts.
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { gcraTake } from './queries.ts';
import { retryAfter } from './headers.ts';

const MINUTE_MS = 60_000;

/** Takes one request from `bucket` (`perMinute`, bursts up to `perMinute`); throws 429 with retry-after when none is left. */
export async function takeRate(db: Queryable, clock: Clock, bucket: string, perMinute: number, message: string): Promise<void> {
  const r = await gcraTake(db, bucket, clock.now().getTime(), perMinute, MINUTE_MS);
  if (!r.allowed) {
    throw new AppError('rate_limit_exceeded', message, { headers: retryAfter(r.retryMs) });
  }
}
