// Cloister's own listings: the caller's conversations (from ownership rows, newest first,
// cursor-paginated, OpenAI list shape — ids, timestamps and the sealed copy of each one's
// metadata, opened; no per-row upstream calls)
// and the caller's usage by day and model.
import Type from 'typebox';
import { AppError } from '../errors.ts';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { route, type Route } from '../http/route.ts';
import { findOwned, listConversations, listUsage } from './queries.ts';
import type { ConversationMetadata } from './metadata.ts';
import { UPSTREAM_ID } from './ownership.ts';

const CONVERSATION_LIST = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Type.Object({
    id: Type.String(), object: Type.Literal('conversation'), created_at: Type.Integer(),
    metadata: Type.Record(Type.String(), Type.String(), { description: "the conversation's metadata as upstream last answered it (kept sealed by Cloister); {} when none" }),
  })),
  first_id: Type.Union([Type.String(), Type.Null()]), last_id: Type.Union([Type.String(), Type.Null()]), has_more: Type.Boolean(),
});
const USAGE_LIST = Type.Object({
  object: Type.Literal('list'),
  data: Type.Array(Type.Object({
    object: Type.Literal('usage.day'), date: Type.String({ format: 'date' }), model: Type.String(), requests: Type.Integer(),
    input_tokens: Type.Integer(), output_tokens: Type.Integer(), requests_without_usage: Type.Integer(),
  })),
});

/** GET /v1/conversations and GET /v1/users/me/usage. */
export function ownListingsRoutes(deps: { db: Queryable; clock: Clock; flushUsage: () => Promise<void>; metadata: ConversationMetadata }): Route[] {
  return [
    route({
      method: 'GET', path: '/v1/conversations', access: 'user',
      query: Type.Object({
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
        after: Type.Optional(Type.String({ pattern: UPSTREAM_ID.source, description: 'the last id of the previous page' })),
      }, { additionalProperties: false }),
      doc: { tag: 'conversations', summary: "Cloister's own list of your conversations, newest first", response: CONVERSATION_LIST },
      async handle(ctx, { query }) {
        const userId = ctx.state.principal!.userId;
        const limit = query.limit ?? 20;
        let after: { createdAt: Date; id: string } | null = null;
        if (query.after !== undefined) {
          const row = await findOwned(deps.db, query.after, 'conversation', userId);
          if (!row) throw new AppError('not_found', `No conversation found with id '${query.after}'.`, { param: 'after' });
          after = { createdAt: row.created_at, id: row.id };
        }
        const rows = await listConversations(deps.db, userId, limit + 1, after);
        const page = rows.slice(0, limit);
        ctx.set('cache-control', 'no-store');
        ctx.body = {
          object: 'list',
          data: page.map((r) => ({
            id: r.id, object: 'conversation', created_at: Math.floor(r.created_at.getTime() / 1000),
            metadata: deps.metadata.open(userId, r.id, r.sealed_metadata),
          })),
          first_id: page[0]?.id ?? null,
          last_id: page.at(-1)?.id ?? null,
          has_more: rows.length > limit,
        };
      },
    }),
    route({
      method: 'GET', path: '/v1/users/me/usage', access: 'user',
      query: Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 30 })) }, { additionalProperties: false }),
      doc: { tag: 'account', summary: 'Your requests and tokens by day and model', response: USAGE_LIST },
      async handle(ctx, { query }) {
        const days = query.days ?? 30;
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
      },
    }),
  ];
}
