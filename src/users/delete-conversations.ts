// Account deletion's upstream half: delete every conversation the user owns at the model
// provider, best effort. Failures are reported by id (the caller tells the user); the
// ownership rows go with the user row either way.
import type { Queryable } from '../db/pool.ts';
import type { Logger } from '../log.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import { listOwned } from '../conversations/queries.ts';
import type { DeleteUserConversations } from './account.ts';

const PAGE = 100;
const TIMEOUT_MS = 15_000;

/** Deletes a user's conversations through the upstream client. */
export function upstreamConversationDeleter(deps: { db: Queryable; upstream: UpstreamClient; logger: Logger }): DeleteUserConversations {
  return async (userId) => {
    const failed: string[] = [];
    let after: { createdAt: Date; id: string } | null = null;
    for (;;) {
      const page = await listOwned(deps.db, userId, 'conversation', PAGE, after);
      for (const row of page) {
        try {
          const res = await deps.upstream.fetch({
            method: 'DELETE', path: `/conversations/${encodeURIComponent(row.id)}`, clientHeaders: {},
            requestId: `account-delete-${userId}`,
          }, { signal: AbortSignal.timeout(TIMEOUT_MS) });
          // 404: already gone upstream, which is what deletion wants.
          if (res.status >= 300 && res.status !== 404) failed.push(row.id);
        } catch (e) {
          deps.logger.warn({ event: 'account.delete_conversation_failed', user_id: userId, err: { type: (e as Error).name, code: (e as { code?: string }).code } });
          failed.push(row.id);
        }
      }
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      after = { createdAt: last.created_at, id: last.id };
    }
    return { failed };
  };
}
