// Conversations and their items, owner only. Creating a conversation records its owner before
// the id reaches the client; deleting forwards first and then marks the row deleted. Items in a
// body are walked for references (body-references.ts); the items an answer shows the owner
// are recorded as theirs before it is sent (revealed-items.ts).
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import type { AppState } from '../http/context.ts';
import { assertUpstreamId } from '../conversations/ownership.ts';
import { proxyHelpers, type ProxyDeps } from './routes.ts';
import { CONVERSATION_CREATE, CONVERSATION_ITEMS_CREATE, METADATA_UPDATE } from './body-references.ts';

/** Upstream conversation routes (POST create, GET/POST/DELETE one, items). */
export function createConversationProxyRouter(deps: ProxyDeps): Router<AppState> {
  const router = createRouter({ prefix: '/v1' });
  const h = proxyHelpers(deps);
  const base = [deps.auth, h.requireUpstream];

  router.post('/conversations', ...base, h.optionalBody, h.references(CONVERSATION_CREATE), (ctx) => {
    return h.forward(ctx, 'POST', '/conversations', {
      query: false,
      observer: {
        onJson: async (body) => {
          if (typeof body.id === 'string') await deps.ownership.record('conversation', body.id, h.userId(ctx));
        },
      },
    });
  });
  router.get('/conversations/:id', ...base, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'conversation');
    return h.forward(ctx, 'GET', `/conversations/${id}`);
  });
  router.post('/conversations/:id', ...base, h.body, h.references(METADATA_UPDATE), async (ctx) => {
    const id = await h.owned(ctx, 'id', 'conversation');
    return h.forward(ctx, 'POST', `/conversations/${id}`, { query: false });
  });
  router.delete('/conversations/:id', ...base, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'conversation');
    await h.forward(ctx, 'DELETE', `/conversations/${id}`, { query: false });
    if (ctx.status >= 200 && ctx.status < 300) await deps.ownership.markDeleted('conversation', id, h.userId(ctx));
  });
  router.get('/conversations/:id/items', ...base, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'conversation');
    return h.forward(ctx, 'GET', `/conversations/${id}/items`, { observer: h.revealing(ctx, 'list', id) });
  });
  router.post('/conversations/:id/items', ...base, h.body, h.references(CONVERSATION_ITEMS_CREATE), async (ctx) => {
    const id = await h.owned(ctx, 'id', 'conversation');
    return h.forward(ctx, 'POST', `/conversations/${id}/items`, { observer: h.revealing(ctx, 'list', id) });
  });
  router.get('/conversations/:id/items/:item_id', ...base, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'conversation');
    const item = String(ctx.params.item_id);
    assertUpstreamId(item, 'item', 'item_id');
    return h.forward(ctx, 'GET', `/conversations/${id}/items/${item}`, { observer: h.revealing(ctx, 'item', id) });
  });
  router.delete('/conversations/:id/items/:item_id', ...base, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'conversation');
    const item = String(ctx.params.item_id);
    assertUpstreamId(item, 'item', 'item_id');
    await h.forward(ctx, 'DELETE', `/conversations/${id}/items/${item}`, { query: false });
    if (ctx.status >= 200 && ctx.status < 300) await deps.ownership.markDeleted('item', item, h.userId(ctx));
  });
  return router;
}
