// The upstream allow-list beside the inference POSTs (inference-routes.ts) and the models
// (model-routes.ts): stored chat completions, responses by id. Every id in a path, and every reference in a body, is
// ownership-checked before anything goes upstream; upstream list endpoints, which would show
// every user's objects under the shared key, are refused. The items an answer shows the owner
// are recorded as theirs (revealed-items.ts). Only the query parameters a route declares are
// forwarded; any other is refused.
import Type from 'typebox';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import type { AppContext } from '../http/context.ts';
import type { JsonBody } from '../http/body.ts';
import { route, type Route } from '../http/route.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import { UPSTREAM_ID, type Ownership } from '../conversations/ownership.ts';
import type { OwnedKind } from '../conversations/queries.ts';
import type { ExchangeEvents } from './exchange-events.ts';
import { relay } from './relay.ts';
import type { Observer } from './relay-types.ts';
import type { IdempotencyKeys } from './idempotency-key.ts';
import { assertOwnsReferences, bodyReferences, METADATA_UPDATE, NO_FIELDS } from './body-references.ts';
import type { Shape } from './reference-walk.ts';
import { revealedItemsObserver } from './revealed-items.ts';
import { chargeFinishedResponse, type ChargeResponse } from './response-usage.ts';
import { bothObservers } from './observers.ts';

export interface ProxyDeps {
  readonly upstream: UpstreamClient;
  readonly ownership: Ownership;
  readonly events: ExchangeEvents;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly heartbeatMs: number;
  /** namespaces a client's Idempotency-Key per user before it goes upstream */
  readonly idempotencyKeys: IdempotencyKeys;
  /** charges a finished response's usage to the limits when it is still owed (background responses) */
  readonly chargeResponse: ChargeResponse;
}

/** A path parameter that is an upstream id (no separators, dots or encodings). */
export const ID_PARAM = Type.Object({ id: Type.String({ pattern: UPSTREAM_ID.source }) });
const INCLUDABLE = Type.String({ pattern: '^[a-z_.]{1,100}$' });
/** What the SDKs send for `include` (`include[]=…`, repeated). */
const INCLUDE = { 'include[]': Type.Optional(Type.Union([INCLUDABLE, Type.Array(INCLUDABLE, { maxItems: 20 })])) };
/** A cursor page's query, as OpenAI's list endpoints take it. */
export const PAGE_QUERY = Type.Object({
  after: Type.Optional(Type.String({ pattern: UPSTREAM_ID.source })),
  before: Type.Optional(Type.String({ pattern: UPSTREAM_ID.source })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  ...INCLUDE,
}, { additionalProperties: false });
export const INCLUDE_QUERY = Type.Object(INCLUDE, { additionalProperties: false });
export const NO_QUERY = Type.Object({}, { additionalProperties: false });
/** A body forwarded upstream byte for byte. */
export const FORWARD = { forward: true } as const;
export const FORWARD_OPTIONAL = { forward: true, optional: true } as const;

/** Shared helpers for proxy routes. */
export function proxyHelpers(deps: ProxyDeps) {
  const relayDeps = { upstream: deps.upstream, clock: deps.clock, heartbeatMs: deps.heartbeatMs, logger: deps.logger, idempotencyKeys: deps.idempotencyKeys };
  const userId = (ctx: AppContext) => ctx.state.principal!.userId;
  /** Refuses while no upstream is configured (before anything is looked up). */
  const requireUpstream = () => {
    if (!deps.upstream.configured) throw new AppError('upstream_not_configured', 'upstream not configured');
  };
  /** Checks `id` is an id of `kind` the caller owns; returns it. */
  const owned = async (ctx: AppContext, id: string, kind: OwnedKind) => {
    requireUpstream();
    await deps.ownership.assertOwns(kind, id, userId(ctx));
    return id;
  };
  /** Walks a forwarded body against `shape`; checks its references are the caller's. */
  const references = async (ctx: AppContext, body: JsonBody | null, shape: Shape) => {
    const found = assertOwnsReferences(deps.ownership, bodyReferences(body?.json, shape), userId(ctx));
    if (found) await found;
  };
  /** Records the items an answer about the caller's own object shows them. */
  const revealing = (ctx: AppContext, source: 'response' | 'list' | 'item', conversationId: string | null = null) =>
    revealedItemsObserver(deps.ownership, userId(ctx), source, conversationId);
  const forward = (ctx: AppContext, method: 'GET' | 'POST' | 'DELETE', path: string, options: { body?: JsonBody | null; stream?: boolean; observer?: Observer; query?: boolean } = {}) =>
    relay(ctx.state.exchange!, relayDeps, {
      method, path,
      query: options.query === false ? undefined : ctx.querystring || undefined,
      body: method === 'POST' ? options.body?.raw ?? Buffer.from('{}') : undefined,
    }, { stream: options.stream ?? false, observer: options.observer });
  /**
   * Forwards a DELETE of the caller's object. Once upstream confirmed it, the ownership row is
   * marked deleted (and `also` runs) before the answer is sent, so a client that saw the
   * deletion never finds the object still listed. Upstream's 404 (already gone: deleted
   * elsewhere, or expired) is passed on, and Cloister forgets the object too, so it cannot stay
   * in a list for ever.
   */
  const deleteUpstream = (ctx: AppContext, kind: OwnedKind, id: string, path: string, also?: () => Promise<void>) => {
    const forget = async () => {
      await deps.ownership.markDeleted(kind, id, userId(ctx));
      if (also) await also();
    };
    return forward(ctx, 'DELETE', path, {
      query: false,
      observer: {
        onFinish: ({ status }) => (status >= 200 && status < 300 ? forget() : undefined),
        onRefused: (status) => (status === 404 ? forget() : undefined),
      },
    });
  };
  return { requireUpstream, references, revealing, userId, owned, forward, deleteUpstream };
}

/** Stored chat completions and responses by id. */
export function proxyRoutes(deps: ProxyDeps): Route[] {
  const h = proxyHelpers(deps);
  /**
   * Reading a response back reveals its items (recorded as the reader's) and is where a
   * background response's usage is first seen: charged then, once.
   */
  const readingBack = (ctx: AppContext, id: string) => bothObservers(h.revealing(ctx, 'response'), chargeFinishedResponse({
    charge: deps.chargeResponse, userId: h.userId(ctx), responseId: id, logger: deps.logger, requestId: ctx.state.requestId,
  }));
  return [
    route({
      method: 'GET', path: '/v1/chat/completions', access: 'user',
      doc: { tag: 'chat', summary: "Refused (404): listing would show every user's stored completions under the shared key" },
      handle() {
        throw new AppError('not_found', 'Listing stored chat completions is not available: under a shared upstream key it would show other users\' objects. Retrieve them by id.');
      },
    }),
    route({
      method: 'GET', path: '/v1/chat/completions/:id', access: 'user', params: ID_PARAM, query: NO_QUERY,
      doc: { tag: 'chat', summary: 'Retrieve your stored chat completion' },
      async handle(ctx, { params }) {
        const id = await h.owned(ctx, params.id, 'chat_completion');
        return h.forward(ctx, 'GET', `/chat/completions/${id}`);
      },
    }),
    route({
      method: 'POST', path: '/v1/chat/completions/:id', access: 'user', params: ID_PARAM, body: FORWARD,
      doc: { tag: 'chat', summary: 'Update your stored chat completion (metadata)' },
      async handle(ctx, { params, body }) {
        const id = await h.owned(ctx, params.id, 'chat_completion');
        await h.references(ctx, body, METADATA_UPDATE);
        return h.forward(ctx, 'POST', `/chat/completions/${id}`, { query: false, body });
      },
    }),
    route({
      method: 'DELETE', path: '/v1/chat/completions/:id', access: 'user', params: ID_PARAM,
      doc: { tag: 'chat', summary: 'Delete your stored chat completion' },
      async handle(ctx, { params }) {
        const id = await h.owned(ctx, params.id, 'chat_completion');
        return h.deleteUpstream(ctx, 'chat_completion', id, `/chat/completions/${id}`);
      },
    }),
    route({
      method: 'GET', path: '/v1/chat/completions/:id/messages', access: 'user', params: ID_PARAM, query: PAGE_QUERY,
      doc: { tag: 'chat', summary: 'Messages of your stored chat completion' },
      async handle(ctx, { params }) {
        const id = await h.owned(ctx, params.id, 'chat_completion');
        return h.forward(ctx, 'GET', `/chat/completions/${id}/messages`);
      },
    }),
    route({
      method: 'GET', path: '/v1/responses/:id', access: 'user', params: ID_PARAM,
      query: Type.Object({
        stream: Type.Optional(Type.Boolean()), starting_after: Type.Optional(Type.Integer({ minimum: 0 })),
        include_obfuscation: Type.Optional(Type.Boolean()), ...INCLUDE,
      }, { additionalProperties: false }),
      doc: { tag: 'responses', summary: 'Retrieve your response (?stream=true&starting_after=N resumes its stream)', stream: true },
      async handle(ctx, { params, query }) {
        const id = await h.owned(ctx, params.id, 'response');
        return h.forward(ctx, 'GET', `/responses/${id}`, { stream: query.stream === true, observer: readingBack(ctx, id) });
      },
    }),
    route({
      method: 'DELETE', path: '/v1/responses/:id', access: 'user', params: ID_PARAM,
      doc: { tag: 'responses', summary: 'Delete your response' },
      async handle(ctx, { params }) {
        const id = await h.owned(ctx, params.id, 'response');
        return h.deleteUpstream(ctx, 'response', id, `/responses/${id}`);
      },
    }),
    route({
      method: 'POST', path: '/v1/responses/:id/cancel', access: 'user', params: ID_PARAM, body: FORWARD_OPTIONAL,
      doc: { tag: 'responses', summary: 'Cancel your background response' },
      async handle(ctx, { params, body }) {
        const id = await h.owned(ctx, params.id, 'response');
        await h.references(ctx, body, NO_FIELDS);
        return h.forward(ctx, 'POST', `/responses/${id}/cancel`, { query: false, body, observer: readingBack(ctx, id) });
      },
    }),
    route({
      method: 'GET', path: '/v1/responses/:id/input_items', access: 'user', params: ID_PARAM, query: PAGE_QUERY,
      doc: { tag: 'responses', summary: 'Input items of your response' },
      async handle(ctx, { params }) {
        const id = await h.owned(ctx, params.id, 'response');
        return h.forward(ctx, 'GET', `/responses/${id}/input_items`, { observer: h.revealing(ctx, 'list') });
      },
    }),
  ];
}
