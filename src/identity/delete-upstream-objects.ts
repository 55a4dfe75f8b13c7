// Account deletion's upstream half: delete everything the user owns at the model provider —
// conversations, stored responses, stored chat completions, and the containers and files their
// tools made — best effort (items go with their conversation or response). Failures are
// reported by id (the caller tells the user); the ownership rows go with the user row either way.
// Each call carries a fresh random request id: nothing of the user (their id) goes upstream.
import type { Queryable } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import { listOwned, type OwnedKind } from '../conversations/queries.ts';
import type { DeleteUserObjects } from './account.ts';

const PAGE = 100;
const TIMEOUT_MS = 15_000;

/** Where each kind is deleted upstream, in this order. */
const UPSTREAM_PATH: ReadonlyArray<readonly [OwnedKind, string]> = [
  ['conversation', '/conversations/'],
  ['response', '/responses/'],
  ['chat_completion', '/chat/completions/'],
  ['container', '/containers/'],
  ['file', '/files/'],
];

/** Deletes a user's upstream objects through the upstream client. */
export function upstreamObjectDeleter(deps: { db: Queryable; upstream: UpstreamClient; logger: Logger; requestId: () => string }): DeleteUserObjects {
  return async (userId) => {
    const failed: string[] = [];
    for (const [kind, path] of UPSTREAM_PATH) {
      let after: { createdAt: Date; id: string } | null = null;
      for (;;) {
        const page = await listOwned(deps.db, userId, kind, PAGE, after);
        for (const row of page) {
          try {
            const res = await deps.upstream.fetch({
              method: 'DELETE', path: `${path}${encodeURIComponent(row.id)}`, clientHeaders: {}, requestId: deps.requestId(),
            }, { signal: AbortSignal.timeout(TIMEOUT_MS) });
            // 404: already gone upstream, which is what deletion wants.
            if (res.status >= 300 && res.status !== 404) failed.push(row.id);
          } catch (e) {
            deps.logger.warn({ event: 'account.delete_upstream_failed', user_id: userId, kind, err: { type: (e as Error).name, code: (e as { code?: string }).code } });
            failed.push(row.id);
          }
        }
        if (page.length < PAGE) break;
        const last = page[page.length - 1]!;
        after = { createdAt: last.created_at, id: last.id };
      }
    }
    return { failed };
  };
}
