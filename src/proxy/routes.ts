// The upstream allow-list: models, chat completions, responses, embeddings. Every id in a path
// or body is ownership-checked before anything goes upstream; upstream list endpoints, which
// would show every user's objects under the shared key, are refused.
import Router from '@koa/router';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AppContext, AppMiddleware, AppState } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { Ownership } from '../conversations/ownership.ts';
import type { OwnedKind } from '../conversations/queries.ts';
import type { ExchangeEvents } from './exchange-events.ts';
import { relay, type Observer } from './relay.ts';
import { sha256 } from './answer.ts';
import { trackExchange } from './exchange-tracker.ts';
import { assertNoUncheckedReferences } from './body-references.ts';

export interface ProxyDeps {
  readonly upstream: UpstreamClient;
  readonly ownership: Ownership;
  readonly events: ExchangeEvents;
  readonly logger: Logger;
  readonly heartbeatMs: number;
  readonly bodyLimitBytes: number;
  /** authentication (sets ctx.state.principal) */
  readonly auth: AppMiddleware;
  /** authentication for inference routes, whose guards recheck the credential in their own round trip */
  readonly inferenceAuth?: AppMiddleware;
  /** run after auth and before any upstream call on inference routes (rate limits, budgets) */
  readonly inferenceGuards?: readonly AppMiddleware[];
}

const MODEL_SEGMENT = /^[A-Za-z0-9._:@+-]{1,128}$/;

/** Shared helpers for proxy routers. */
export function proxyHelpers(deps: ProxyDeps) {
  const relayDeps = { upstream: deps.upstream, heartbeatMs: deps.heartbeatMs, logger: deps.logger };
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
  const forward = (ctx: AppContext, method: 'GET' | 'POST' | 'DELETE', path: string, options: { stream?: boolean; observer?: Observer; query?: boolean } = {}) =>
    relay(ctx, relayDeps, {
      method, path,
      query: options.query === false ? undefined : ctx.querystring || undefined,
      body: method === 'POST' ? ctx.state.rawBody ?? Buffer.from('{}') : undefined,
    }, { stream: options.stream ?? false, observer: options.observer });
  return { requireUpstream, body, optionalBody, userId, owned, forward };
}

function wantsStream(json: unknown): boolean {
  const stream = (json as { stream?: unknown }).stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw new AppError('invalid_request', 'stream must be a boolean', { param: 'stream' });
  return stream === true;
}

function modelOf(json: unknown): string | null {
  const m = (json as { model?: unknown }).model;
  return typeof m === 'string' ? m.slice(0, 200) : null;
}

/** The referenced conversation id in a Responses body: a string or `{ id }`. */
function conversationRef(json: unknown): string | null {
  const c = (json as { conversation?: unknown }).conversation;
  if (c === undefined || c === null) return null;
  if (typeof c === 'string') return c;
  if (typeof c === 'object' && typeof (c as { id?: unknown }).id === 'string') return (c as { id: string }).id;
  throw new AppError('invalid_request', 'conversation must be a conversation id or an object with an id', { param: 'conversation' });
}

/** Routes for models, chat completions, responses and embeddings. */
export function createProxyRouter(deps: ProxyDeps): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/v1' });
  const h = proxyHelpers(deps);
  const guards = [...(deps.inferenceGuards ?? [])];
  const inference = [deps.inferenceAuth ?? deps.auth, h.requireUpstream, h.body, ...guards];

  const track = (ctx: AppContext, kind: 'chat.completion' | 'response' | 'embedding', conversationId: string | null): Observer => trackExchange({
    kind,
    principal: ctx.state.principal!,
    model: modelOf(ctx.state.json),
    requestSha256: sha256(ctx.state.rawBody!),
    requestBytes: ctx.state.rawBody!.length,
    meter: ctx.state.meter,
    conversationId,
    // Stored chat completions are the only ones upstream keeps; Responses are stored by default.
    recordOwnership: kind === 'response' ? (ctx.state.json as { store?: unknown }).store !== false : kind === 'chat.completion' && (ctx.state.json as { store?: unknown }).store === true,
    ownership: deps.ownership,
    events: deps.events,
  });

  // Models carry no user data; ids may contain '/' (org/model), each segment validated.
  router.get('/models', deps.auth, h.requireUpstream, (ctx) => h.forward(ctx, 'GET', '/models'));
  router.get('/models/*model', deps.auth, h.requireUpstream, (ctx) => {
    const segments = ctx.params.model as unknown as string[] | string;
    const parts = Array.isArray(segments) ? segments : String(segments).split('/');
    if (parts.length > 4 || !parts.every((p) => MODEL_SEGMENT.test(p) && p !== '.' && p !== '..')) {
      throw new AppError('not_found', 'The model does not exist.', { param: 'model' });
    }
    return h.forward(ctx, 'GET', `/models/${parts.map(encodeURIComponent).join('/')}`);
  });

  router.post('/chat/completions', ...inference, (ctx) => {
    assertNoUncheckedReferences(ctx.state.json);
    const stream = wantsStream(ctx.state.json);
    return h.forward(ctx, 'POST', '/chat/completions', { stream, observer: track(ctx, 'chat.completion', null), query: false });
  });
  router.get('/chat/completions', deps.auth, () => {
    throw new AppError('not_found', 'Listing stored chat completions is not available: under a shared upstream key it would show other users\' objects. Retrieve them by id.');
  });
  router.get('/chat/completions/:id', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'chat_completion');
    return h.forward(ctx, 'GET', `/chat/completions/${id}`);
  });
  router.post('/chat/completions/:id', deps.auth, h.requireUpstream, h.body, async (ctx) => {
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

  router.post('/responses', ...inference, async (ctx) => {
    const json = ctx.state.json as Record<string, unknown>;
    const conversation = conversationRef(json);
    if (conversation !== null) await deps.ownership.assertOwns('conversation', conversation, h.userId(ctx), 'conversation');
    const previous = json.previous_response_id;
    if (previous !== undefined && previous !== null) {
      if (typeof previous !== 'string') throw new AppError('invalid_request', 'previous_response_id must be a string', { param: 'previous_response_id' });
      await deps.ownership.assertOwns('response', previous, h.userId(ctx), 'previous_response_id');
    }
    assertNoUncheckedReferences(json);
    const stream = wantsStream(json);
    return h.forward(ctx, 'POST', '/responses', { stream, observer: track(ctx, 'response', conversation), query: false });
  });
  router.get('/responses/:id', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'response');
    // `?stream=true&starting_after=N` resumes a background response's event stream.
    return h.forward(ctx, 'GET', `/responses/${id}`, { stream: ctx.query.stream === 'true' });
  });
  router.delete('/responses/:id', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'response');
    await h.forward(ctx, 'DELETE', `/responses/${id}`, { query: false });
    if (ctx.status >= 200 && ctx.status < 300) await deps.ownership.markDeleted('response', id, h.userId(ctx));
  });
  router.post('/responses/:id/cancel', deps.auth, h.requireUpstream, h.optionalBody, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'response');
    return h.forward(ctx, 'POST', `/responses/${id}/cancel`, { query: false });
  });
  router.get('/responses/:id/input_items', deps.auth, h.requireUpstream, async (ctx) => {
    const id = await h.owned(ctx, 'id', 'response');
    return h.forward(ctx, 'GET', `/responses/${id}/input_items`);
  });

  router.post('/embeddings', ...inference, (ctx) => {
    assertNoUncheckedReferences(ctx.state.json);
    return h.forward(ctx, 'POST', '/embeddings', { observer: track(ctx, 'embedding', null), query: false });
  });

  return router;
}

