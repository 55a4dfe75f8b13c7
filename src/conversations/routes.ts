// Cloister's own listings: the caller's conversations (from ownership rows, newest first,
// cursor-paginated, OpenAI list shape — ids and timestamps only, no per-row upstream calls)
// and the caller's usage by day and model.
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import { AppError } from '../errors.ts';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { AppMiddleware, AppState } from '../http/context.ts';
import { findOwned, listOwned, listUsage } from './queries.ts';
import { UPSTREAM_ID } from './ownership.ts';

function intParam(v: unknown, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) throw new AppError('invalid_request', `${name} must be an integer between ${min} and ${max}`, { param: name });
  return n;
}

/** GET /v1/conversations and GET /v1/users/me/usage. */
export function createOwnListingsRouter(deps: { db: Queryable; clock: Clock; auth: AppMiddleware; flushUsage: () => Promise<void> }): Router<AppState> {
  const router = createRouter({ prefix: '/v1' });

  router.get('/conversations', deps.auth, async (ctx) => {
    const userId = ctx.state.principal!.userId;
    const limit = intParam(ctx.query.limit, 'limit', 20, 1, 100);
    const afterId = ctx.query.after;
    let after: { createdAt: Date; id: string } | null = null;
    if (afterId !== undefined) {
      if (typeof afterId !== 'string' || !UPSTREAM_ID.test(afterId)) throw new AppError('invalid_request', 'after must be a conversation id', { param: 'after' });
      const row = await findOwned(deps.db, afterId, 'conversation', userId);
      if (!row) throw new AppError('not_found', `No conversation found with id '${afterId}'.`, { param: 'after' });
      after = { createdAt: row.created_at, id: row.id };
    }
    const rows = await listOwned(deps.db, userId, 'conversation', limit + 1, after);
    const page = rows.slice(0, limit);
    ctx.body = {
      object: 'list',
      data: page.map((r) => ({ id: r.id, object: 'conversation', created_at: Math.floor(r.created_at.getTime() / 1000) })),
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: rows.length > limit,
    };
  });

  router.get('/users/me/usage', deps.auth, async (ctx) => {
    const days = intParam(ctx.query.days, 'days', 30, 1, 366);
    const since = new Date(deps.clock.now().getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    await deps.flushUsage(); // read your own writes on this replica
    const rows = await listUsage(deps.db, ctx.state.principal!.userId, since);
    ctx.body = {
      object: 'list',
      data: rows.map((r) => ({
        object: 'usage.day',
        date: r.day,
        model: r.model,
        requests: Number(r.requests),
        input_tokens: Number(r.input_tokens),
        output_tokens: Number(r.output_tokens),
        requests_without_usage: Number(r.requests_without_usage),
      })),
    };
  });
  return router;
}
