// The upstream allow-list beside the inference POSTs (inference-routes.ts): models, stored chat
// completions, responses by id. Every id in a path, and every reference in a body, is
// ownership-checked before anything goes upstream; upstream list endpoints, which would show
// every user's objects under the shared key, are refused. The items an answer shows the owner
// are recorded as theirs (revealed-items.ts).
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AppContext, AppMiddleware, AppState } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { Ownership } from '../conversations/ownership.ts';
import type { OwnedKind } from '../conversations/queries.ts';
import type { ExchangeEvents } from './exchange-events.ts';
import { relay } from './relay.ts';
import type { Observer } from './relay-types.ts';
import type { IdempotencyKeys } from './idempotency-key.ts';
import { koaIo } from '../http/request-io.ts';
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
  readonly heartbeatMs: number;
  readonly bodyLimitBytes: number;
  /** namespaces a client's Idempotency-Key per user before it goes upstream */
  readonly idempotencyKeys: IdempotencyKeys;
  /** authentication (sets ctx.state.principal) */
  readonly auth: AppMiddleware;
  /** charges a finished response's usage to the limits when it is still owed (background responses) */
  readonly chargeResponse: ChargeResponse;
}

const MODEL_SEGMENT = /^[A-Za-z0-9._:@+-]{1,128}$/;

/** Shared helpers for proxy routers. */
export function proxyHelpers(deps: ProxyDeps) {
  const relayDeps = { upstream: deps.upstream, heartbeatMs: deps.heartbeatMs, logger: deps.logger, idempotencyKeys: deps.idempotencyKeys };
  const requireUpstream: AppMiddleware = async (_ctx, next) => {
    if (!deps.upstream.configured) throw new AppError('upstream_not_configured', 'upstream not configured');
    await next();
  };
  const body = jsonBody({ limitBytes: deps.bodyLimitBytes });
  const optionalBody = jsonBody({ limitBytes: deps.bodyLimitBytes, optional: true });
  const userId = (ctx: AppContext) => ctx.state.principal!.userId;
  /** Checks the path parameter `name` is an id of `kind` the caller owns; returns it. */
  const owned = async (ctx: AppContext, name: string, kind: OwnedKind) => {
    const id = String(ctx.params[name] ?? '');
    await deps.ownership.assertOwns(kind, id, userId(ctx));
    return id;
  };
  /** Walks the body (ctx.state.json, after `body`) against `shape`; checks its references are the caller's. */
  const references = (shape: Shape): AppMiddleware => async (ctx, next) => {
    const owned = assertOwnsReferences(deps.ownership, bodyReferences(ctx.state.json, shape), userId(ctx));
    if (owned) await owned;
    await next();
  };
  /** Records the items an answer about the caller's own object shows them. */
  const revealing = (ctx: AppContext, source: 'response' | 'list' | 'item', conversationId: string | null = null) =>
    revealedItemsObserver(deps.ownership, userId(ctx), source, conversationId);
  const forward = (ctx: AppContext, method: 'GET' | 'POST' | 'DELETE', path: string, options: { stream?: boolean; observer?: Observer; query?: boolean } = {}) =>
    relay(koaIo(ctx), relayDeps, {
      method, path,
      query: options.query === false ? undefined : ctx.querystring || undefined,
      body: method === 'POST' ? ctx.state.rawBody ?? Buffer.from('{}') : undefined,
    }, { stream: options.stream ?? false, observer: options.observer });
  return { requireUpstream, body, optionalBody, references, revealing, userId, owned, forward };
}

/** Routes for models, stored chat completions and responses by id. */
export function createProxyRouter(deps: ProxyDeps): Router<AppState> {
  const router = createRouter({ prefix: '/v1' });
  const h = proxyHelpers(deps);

  // Models carry no user data. An id may contain '/' (org/model): the official SDKs send it
  // encoded, as one path segment (`/v1/models/org%2Fmodel`), the one spelling accepted; each
  // of its parts is validated before it goes upstream.
  router.get('/models', deps.auth, h.requireUpstream, (ctx) => h.forward(ctx, 'GET', '/models'));
  router.get('/models/:model', deps.auth, h.requireUpstream, (ctx) => {
    const parts = String(ctx.params.model).split('/');
    if (parts.length > 4 || !parts.every((p) => MODEL_SEGMENT.test(p) && p !== '.' && p !== '..')) {
      throw new AppError('not_found', 'The model does not exist.', { param: 'model' });
    }
    return h.forward(ctx, 'GET', `/models/${parts.map(encodeURIComponent).join('/')}`);
  });

  router.get('/chat/completions', deps.auth, () => {
    throw new AppError('not_found', 'Listing stored chat completions is not available: under a shared upstream key it would show other users\' objects. Retrieve them by id.');
  });
  router.get('/chat/completions/:id', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'chat_completion');
    return h.forward(ctx, 'GET', `/chat/completions/${id}`);
  });
  router.post('/chat/completions/:id', deps.auth, h.requireUpstream, h.body, h.references(METADATA_UPDATE), async (ctx) => {
    const id = await h.owned(ctx, 'id', 'chat_completion');
    return h.forward(ctx, 'POST', `/chat/completions/${id}`, { query: false });
  });
  router.delete('/chat/completions/:id', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'chat_completion');
    await h.forward(ctx, 'DELETE', `/chat/completions/${id}`, { query: false });
    if (ctx.status >= 200 && ctx.status < 300) await deps.ownership.markDeleted('chat_completion', id, h.userId(ctx));
  });
  router.get('/chat/completions/:id/messages', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'chat_completion');
    return h.forward(ctx, 'GET', `/chat/completions/${id}/messages`);
  });

  /**
   * Reading a response back reveals its items (recorded as the reader's) and is where a
   * background response's usage is first seen: charged then, once.
   */
  const readingBack = (ctx: AppContext, id: string) => bothObservers(h.revealing(ctx, 'response'), chargeFinishedResponse({
    charge: deps.chargeResponse, userId: h.userId(ctx), responseId: id, logger: deps.logger, requestId: ctx.state.requestId,
  }));
  router.get('/responses/:id', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'response');
    // `?stream=true&starting_after=N` resumes a background response's event stream.
    return h.forward(ctx, 'GET', `/responses/${id}`, { stream: ctx.query.stream === 'true', observer: readingBack(ctx, id) });
  });
  router.delete('/responses/:id', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'response');
    await h.forward(ctx, 'DELETE', `/responses/${id}`, { query: false });
    if (ctx.status >= 200 && ctx.status < 300) await deps.ownership.markDeleted('response', id, h.userId(ctx));
  });
  router.post('/responses/:id/cancel', deps.auth, h.requireUpstream, h.optionalBody, h.references(NO_FIELDS), async (ctx) => {
    const id = await h.owned(ctx, 'id', 'response');
    return h.forward(ctx, 'POST', `/responses/${id}/cancel`, { query: false, observer: readingBack(ctx, id) });
  });
  router.get('/responses/:id/input_items', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'response');
    return h.forward(ctx, 'GET', `/responses/${id}/input_items`, { observer: h.revealing(ctx, 'list') });
  });

  return router;
}

