// Ownership checks: every upstream id that arrives in a path or a body is checked here before
// anything is forwarded. "Not yours" and "does not exist" are the same 404.
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { findOwned, insertOwned, markOwnedDeleted, type OwnedKind, type OwnedRow } from './queries.ts';

/** Ids that may be placed into an upstream path: no separators, dots-only or encodings. */
export const UPSTREAM_ID = /^[A-Za-z0-9_-]{1,128}$/;

const NOUN: Record<OwnedKind, string> = { conversation: 'conversation', response: 'response', chat_completion: 'chat completion' };

export interface Ownership {
  /** the owned row, or a 404 AppError when the id is malformed, unknown, deleted or someone else's */
  assertOwns(kind: OwnedKind, id: string, userId: string, param?: string): Promise<OwnedRow>;
  record(kind: OwnedKind, id: string, userId: string, conversationId?: string | null): Promise<void>;
  markDeleted(kind: OwnedKind, id: string, userId: string): Promise<void>;
}

/** Throws 404 unless `id` is safe to put into an upstream path. */
export function assertUpstreamId(id: string, kind: string, param: string | null = null): void {
  if (!UPSTREAM_ID.test(id)) throw new AppError('not_found', `No ${kind} found with id '${id.slice(0, 128)}'.`, { param });
}

/** Builds the ownership service. */
export function createOwnership(db: Queryable, clock: Clock): Ownership {
  return {
    async assertOwns(kind, id, userId, param) {
      assertUpstreamId(id, NOUN[kind], param ?? null);
      const row = await findOwned(db, id, kind, userId);
      if (!row) throw new AppError('not_found', `No ${NOUN[kind]} found with id '${id}'.`, { param: param ?? null });
      return row;
    },
    async record(kind, id, userId, conversationId = null) {
      if (!UPSTREAM_ID.test(id)) return; // an id we could never route to is not worth owning
      await insertOwned(db, { id, kind, userId, conversationId, now: clock.now() });
    },
    markDeleted: (kind, id, userId) => markOwnedDeleted(db, id, kind, userId, clock.now()),
  };
}
