// Ownership checks: every upstream id that arrives in a path or a body is checked here before
// anything is forwarded. "Not yours" and "does not exist" are the same 404.
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { findOwned, findOwnedKinds, insertOwned, insertOwnedMany, markOwnedDeleted, type OwnedKind, type OwnedRow } from './queries.ts';

/** Ids that may be placed into an upstream path: no separators, dots-only or encodings. */
export const UPSTREAM_ID = /^[A-Za-z0-9_-]{1,128}$/;

const NOUN: Record<OwnedKind, string> = {
  conversation: 'conversation', response: 'response', chat_completion: 'chat completion', item: 'item', container: 'container', file: 'file',
};

/** An upstream object a request names, and the field naming it. */
export interface WantedObject {
  readonly kind: OwnedKind;
  readonly id: string;
  readonly param: string;
}

/** An upstream object revealed to a user. */
export interface RevealedObject {
  readonly kind: OwnedKind;
  readonly id: string;
}

export interface Ownership {
  /** the owned row, or a 404 AppError when the id is malformed, unknown, deleted or someone else's */
  assertOwns(kind: OwnedKind, id: string, userId: string, param?: string): Promise<OwnedRow>;
  /** one 404 AppError (naming the first field at fault) unless the user owns every one; one query for all */
  assertOwnsAll(wanted: readonly WantedObject[], userId: string): Promise<void>;
  record(kind: OwnedKind, id: string, userId: string, conversationId?: string | null): Promise<void>;
  /** records many objects in one statement (ids that could never be routed to are skipped) */
  recordAll(objects: readonly RevealedObject[], userId: string, conversationId?: string | null): Promise<void>;
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
    async assertOwnsAll(wanted, userId) {
      if (wanted.length === 0) return;
      for (const w of wanted) assertUpstreamId(w.id, NOUN[w.kind], w.param);
      const owned = await findOwnedKinds(db, [...new Set(wanted.map((w) => w.id))], userId);
      for (const w of wanted) {
        if (owned.get(w.id) !== w.kind) throw new AppError('not_found', `No ${NOUN[w.kind]} found with id '${w.id}'.`, { param: w.param });
      }
    },
    async record(kind, id, userId, conversationId = null) {
      if (!UPSTREAM_ID.test(id)) return; // an id we could never route to is not worth owning
      await insertOwned(db, { id, kind, userId, conversationId, now: clock.now() });
    },
    async recordAll(objects, userId, conversationId = null) {
      const ids: string[] = [];
      const kinds: OwnedKind[] = [];
      const seen = new Set<string>();
      for (const o of objects) {
        if (seen.has(o.id) || !UPSTREAM_ID.test(o.id)) continue;
        seen.add(o.id);
        ids.push(o.id);
        kinds.push(o.kind);
      }
      if (ids.length > 0) await insertOwnedMany(db, { ids, kinds, userId, conversationId, now: clock.now() });
    },
    markDeleted: (kind, id, userId) => markOwnedDeleted(db, id, kind, userId, clock.now()),
  };
}
