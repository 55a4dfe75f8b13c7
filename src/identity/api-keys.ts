// API keys: creation (shown once), listing, revocation, and authentication with a
// verified-key cache in front of the key lookup. A cached key is still checked against the
// database on every use (one indexed lookup), so a revocation or a disabled account takes
// effect on every replica at the very next request — except on inference routes, where the
// limits check does it (src/limits/inference-guard.ts).
import { hash as oneShotHash, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { describeError, type Logger } from '../log.ts';
import { AppError } from '../errors.ts';
import { generateApiKey, parseApiKey } from './api-key-format.ts';
import {
  insertApiKey, findActiveKeyByPrefix, listApiKeys, revokeApiKey, touchApiKey, isApiKeyLive, replaceApiKeyHash, type ApiKeySummary, type RevokedApiKey,
} from './api-key-queries.ts';
import { hashKeySecret, verifyKeySecret } from './api-key-secret-hash.ts';
import { createVerifiedKeyCache } from './verified-key-cache.ts';
import type { Principal } from '../shared/principal.ts';

export interface ApiKeyService {
  /** creates a key, optionally capped below its owner's limits (validated: see parseKeyLimits) */
  create(userId: string, name: string | null, limits?: Record<string, number>): Promise<{ key: string; summary: ApiKeySummary }>;
  list(userId: string): Promise<ApiKeySummary[]>;
  /** revokes by prefix or id, optionally restricted to one owner; null when nothing matched */
  revoke(where: { prefix?: string; id?: string; userId?: string }): Promise<RevokedApiKey | null>;
  /** forgets every cached key of a user (account disabled or deleted, limits changed) */
  forgetUser(userId: string): void;
  /**
   * Calls `fn` with the user whenever this replica revokes one of their keys or forgets them, as
   * soon as the change has committed (other replicas learn of it from Postgres: see
   * src/limits/principal-watch.ts).
   */
  onForget(fn: (userId: string) => void): void;
  /**
   * The principal of a presented key, or null. A cached key is rechecked against the database
   * unless `deferLiveness` is set, which only a caller that checks liveness itself in its own
   * round trip may do (the inference limits check).
   */
  authenticate(presented: string, options?: { deferLiveness?: boolean }): Promise<Principal | null>;
}

const TOUCH_INTERVAL_MS = 60_000;

/** Builds the API key service. */
export function createApiKeyService(deps: { db: Queryable; clock: Clock; logger: Logger; cacheTtlMs: number; cacheMax: number }): ApiKeyService {
  const { db, clock, logger } = deps;
  const cache = createVerifiedKeyCache(deps.cacheMax);
  const inflight = new Map<string, Promise<Principal | null>>();
  const forgetListeners: Array<(userId: string) => void> = [];
  const forgot = (userId: string) => { for (const fn of forgetListeners) fn(userId); };

  async function verify(presented: string, digest: string): Promise<Principal | null> {
    const parsed = parseApiKey(presented);
    if (!parsed) return null;
    const row = await findActiveKeyByPrefix(db, parsed.prefix);
    if (!row) return null;
    const { ok, upgrade } = await verifyKeySecret(row.hash, parsed.secret);
    if (!ok) return null;
    if (upgrade) {
      // Once per key created before SHA-256: awaited so the next miss is already cheap.
      await replaceApiKeyHash(db, row.id, row.hash, hashKeySecret(parsed.secret))
        .catch((e: unknown) => logger.warn({ event: 'api_key.rehash_failed', err: describeError(e) }));
    }
    const now = clock.now().getTime();
    const principal: Principal = Object.freeze({ userId: row.user_id, via: 'api_key', keyId: row.id });
    cache.set(digest, { keyId: row.id, userId: row.user_id, principal, expiresAt: now + deps.cacheTtlMs, lastUsedWrittenAt: now });
    touchApiKey(db, row.id, clock.now()).catch((e: unknown) => logger.warn({ event: 'api_key.touch_failed', err: { type: (e as Error).name } }));
    return principal;
  }

  return {
    async create(userId, name, limits = {}) {
      if (name !== null && (name.length > 100 || [...name].some((c) => c.charCodeAt(0) < 0x20))) {
        throw new AppError('invalid_request', 'name must be at most 100 printable characters', { param: 'name' });
      }
      const { key, prefix, secret } = generateApiKey();
      const hash = hashKeySecret(secret);
      const summary = await insertApiKey(db, { id: randomUUID(), userId, prefix, hash, name, limits, now: clock.now() });
      return { key, summary };
    },
    list: (userId) => listApiKeys(db, userId),
    async revoke(where) {
      const row = await revokeApiKey(db, where, clock.now());
      if (row) {
        cache.evictKeyId(row.id);
        forgot(row.user_id);
      }
      return row;
    },
    forgetUser(userId) {
      cache.evictUser(userId);
      forgot(userId);
    },
    onForget: (fn) => { forgetListeners.push(fn); },
    async authenticate(presented, options = {}) {
      const digest = oneShotHash('sha256', presented, 'hex');
      const nowMs = clock.now().getTime();
      const hit = cache.get(digest, nowMs);
      if (hit) {
        if (nowMs - hit.lastUsedWrittenAt >= TOUCH_INTERVAL_MS) {
          hit.lastUsedWrittenAt = nowMs;
          touchApiKey(db, hit.keyId, clock.now()).catch(() => {});
        }
        // The inference routes' limits check confirms liveness in its own round trip (or knows it
        // unchanged): a cached key is the answer. Elsewhere, one lookup first.
        if (options.deferLiveness === true) return hit.principal;
        if (await isApiKeyLive(db, hit.keyId)) return hit.principal;
        cache.evictKeyId(hit.keyId);
        return null;
      }
      // Single flight: concurrent first uses of one key share one lookup and verification.
      let p = inflight.get(digest);
      if (!p) {
        p = verify(presented, digest).finally(() => inflight.delete(digest));
        inflight.set(digest, p);
      }
      return await p;
    },
  };
}
