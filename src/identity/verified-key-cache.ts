// Bounded cache of API keys that passed verification, so the lookup by prefix and the hash
// check run once per key per TTL. Entries are keyed by sha256(key) so the cache never holds a usable key.
// Revocation evicts at once on the instance that revoked; other replicas keep the entry until
// the TTL, but the API key service rechecks liveness in the database on every hit.

import type { Principal } from '../shared/principal.ts';

export interface CachedKey {
  readonly keyId: string;
  readonly userId: string;
  /** the principal the key authenticates (shared by every request that presents it; frozen) */
  readonly principal: Principal;
  expiresAt: number;
  /** last time last_used_at was written, to write it at most once a minute */
  lastUsedWrittenAt: number;
}

export interface VerifiedKeyCache {
  get(digest: string, nowMs: number): CachedKey | null;
  set(digest: string, entry: CachedKey): void;
  evictKeyId(keyId: string): void;
  evictUser(userId: string): void;
  readonly size: number;
}

/** An LRU map with per-entry expiry and a hard size bound. */
export function createVerifiedKeyCache(maxEntries: number): VerifiedKeyCache {
  const map = new Map<string, CachedKey>();
  const evictWhere = (pred: (e: CachedKey) => boolean) => {
    for (const [k, e] of map) if (pred(e)) map.delete(k);
  };
  return {
    get(digest, nowMs) {
      const e = map.get(digest);
      if (!e) return null;
      if (e.expiresAt <= nowMs) {
        map.delete(digest);
        return null;
      }
      map.delete(digest); // refresh recency
      map.set(digest, e);
      return e;
    },
    set(digest, entry) {
      if (maxEntries <= 0) return;
      map.delete(digest);
      map.set(digest, entry);
      while (map.size > maxEntries) {
        const oldest = map.keys().next().value;
        if (oldest === undefined) break;
        map.delete(oldest);
      }
    },
    evictKeyId: (keyId) => evictWhere((e) => e.keyId === keyId),
    evictUser: (userId) => evictWhere((e) => e.userId === userId),
    get size() {
      return map.size;
    },
  };
}
