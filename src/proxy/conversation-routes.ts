// Conversations and their items, owner only. Creating a conversation records its owner before
// the id reaches the client; deleting forwards first and forgets the row once upstream confirms. Metadata
// (titles) is validated as OpenAI validates it before anything goes upstream, and what upstream
// answers is kept sealed for the caller's listing (src/conversations/metadata.ts); deleting the
// conversation deletes that copy. An item id in a path must be an item the caller was shown in
// this conversation (or in none), else 404 with nothing sent upstream. Items in a
// body are walked for references (body-references.ts); the items an answer shows the owner
// are recorded as theirs before it is sent (revealed-items.ts).
import Type from 'typebox';
import { AppError } from '../errors.ts';
import { route, type Route } from '../http/route.ts';
import { UPSTREAM_ID } from '../conversations/ownership.ts';
import { assertValidMetadata, METADATA_SCHEMA, type ConversationMetadata } from '../conversations/metadata.ts';
import type { AppContext } from '../http/context.ts';
import { FORWARD, FORWARD_OPTIONAL, ID_PARAM, INCLUDE_QUERY, PAGE_QUERY, proxyHelpers, type ProxyDeps } from './routes.ts';
import { CONVERSATION_CREATE, CONVERSATION_ITEMS_CREATE, METADATA_UPDATE } from './body-references.ts';

/** What Cloister checks of a create or update body before forwarding it (the rest is OpenAI's). */
const WITH_METADATA = (required: boolean) => Type.Object({ metadata: required ? METADATA_SCHEMA : Type.Optional(METADATA_SCHEMA) }, { additionalProperties: true });
const ITEM_PARAMS = Type.Object({ id: Type.String({ pattern: UPSTREAM_ID.source }), item_id: Type.String({ pattern: UPSTREAM_ID.source }) });

/** Upstream conversation routes (POST create, GET/POST/DELETE one, items). */
export function conversationProxyRoutes(deps: ProxyDeps & { readonly metadata: ConversationMetadata }): Route[] {
  const h = proxyHelpers(deps);
  const tag = 'conversations';
  /** The caller's conversation and an item of it they were shown (one with no known conversation counts); else 404. */
  const ownedItem = async (ctx: AppContext, id: string, itemId: string) => {
    await h.owned(ctx, id, 'conversation');
    const item = await deps.ownership.assertOwns('item', itemId, h.userId(ctx), 'item_id');
    if (item.conversation_id !== null && item.conversation_id !== id) {
      throw new AppError('not_found', `No item found with id '${itemId}'.`, { param: 'item_id' });
    }
    return id;
  };
  return [
    route({
      method: 'POST', path: '/v1/conversations', access: 'user', body: { ...FORWARD_OPTIONAL, checked: WITH_METADATA(false) },
      doc: { tag, summary: 'Create a conversation (you become its owner)' },
      async handle(ctx, { body }) {
        h.requireUpstream();
        assertValidMetadata(body?.json.metadata);
        await h.references(ctx, body, CONVERSATION_CREATE);
        return h.forward(ctx, 'POST', '/conversations', {
          query: false,
          body,
          observer: {
            onJson: async (answer) => {
              if (typeof answer.id !== 'string') return;
              await deps.ownership.record('conversation', answer.id, h.userId(ctx));
              await deps.metadata.keep(h.userId(ctx), answer.id, answer.metadata);
            },
          },
        });
      },
    }),
    route({
      method: 'GET', path: '/v1/conversations/:id', access: 'user', params: ID_PARAM,
      doc: { tag, summary: 'Retrieve your conversation' },
      async handle(ctx, { params }) {
        const id = await h.owned(ctx, params.id, 'conversation');
        return h.forward(ctx, 'GET', `/conversations/${id}`);
      },
    }),
    route({
      method: 'POST', path: '/v1/conversations/:id', access: 'user', params: ID_PARAM, body: { ...FORWARD, checked: WITH_METADATA(true) },
      doc: { tag, summary: 'Update your conversation: its metadata (title, pin) replaced whole, as OpenAI does; Cloister keeps a sealed copy for your list' },
      async handle(ctx, { params, body }) {
        const id = await h.owned(ctx, params.id, 'conversation');
        assertValidMetadata(body.json.metadata);
        await h.references(ctx, body, METADATA_UPDATE);
        return h.forward(ctx, 'POST', `/conversations/${id}`, {
          query: false,
          body,
          observer: { onJson: (answer) => deps.metadata.keep(h.userId(ctx), id, answer.metadata) },
        });
      },
    }),
    route({
      method: 'DELETE', path: '/v1/conversations/:id', access: 'user', params: ID_PARAM,
      doc: { tag, summary: 'Delete your conversation (and the sealed copy of its metadata)' },
      async handle(ctx, { params }) {
        const id = await h.owned(ctx, params.id, 'conversation');
        return h.deleteUpstream(ctx, 'conversation', id, `/conversations/${id}`, () => deps.metadata.drop(h.userId(ctx), id));
      },
    }),
    route({
      method: 'GET', path: '/v1/conversations/:id/items', access: 'user', params: ID_PARAM, query: PAGE_QUERY,
      doc: { tag, summary: 'List items of your conversation' },
      async handle(ctx, { params }) {
        const id = await h.owned(ctx, params.id, 'conversation');
        return h.forward(ctx, 'GET', `/conversations/${id}/items`, { observer: h.revealing(ctx, 'list', id) });
      },
    }),
    route({
      method: 'POST', path: '/v1/conversations/:id/items', access: 'user', params: ID_PARAM, query: INCLUDE_QUERY, body: FORWARD,
      doc: { tag, summary: 'Add items to your conversation' },
      async handle(ctx, { params, body }) {
        const id = await h.owned(ctx, params.id, 'conversation');
        await h.references(ctx, body, CONVERSATION_ITEMS_CREATE);
        return h.forward(ctx, 'POST', `/conversations/${id}/items`, { body, observer: h.revealing(ctx, 'list', id) });
      },
    }),
    route({
      method: 'GET', path: '/v1/conversations/:id/items/:item_id', access: 'user', params: ITEM_PARAMS, query: INCLUDE_QUERY,
      doc: { tag, summary: 'Retrieve an item of your conversation' },
      async handle(ctx, { params }) {
        const id = await ownedItem(ctx, params.id, params.item_id);
        return h.forward(ctx, 'GET', `/conversations/${id}/items/${params.item_id}`, { observer: h.revealing(ctx, 'item', id) });
      },
    }),
    route({
      method: 'DELETE', path: '/v1/conversations/:id/items/:item_id', access: 'user', params: ITEM_PARAMS,
      doc: { tag, summary: 'Delete an item of your conversation (one you were shown in it); answers the conversation' },
      async handle(ctx, { params }) {
        const id = await ownedItem(ctx, params.id, params.item_id);
        return h.deleteUpstream(ctx, 'item', params.item_id, `/conversations/${id}/items/${params.item_id}`);
      },
    }),
  ];
}
