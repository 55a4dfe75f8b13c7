// The inference routes: POST /v1/chat/completions, /v1/responses and /v1/embeddings, behind the
// one frame like every route. Per request: authenticate, require an
// upstream, read the body, walk it for references (a refused one is a 400 before the limits or
// the database see the request), pass the limits, check every referenced id is the caller's
// (one query for all of them, none when there are none), relay.
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import { AppError } from '../errors.ts';
import type { Principal } from '../shared/principal.ts';
import { authenticate, type Authenticator } from '../http/authenticate.ts';
import { readJsonBody, type JsonBody } from '../http/body.ts';
import type { AppState } from '../http/context.ts';
import type { RequestMeter } from '../shared/metering.ts';
import { koaIo, type RequestIo } from '../http/request-io.ts';
import type { InferenceLimits } from '../limits/inference-guard.ts';
import type { ProxyDeps } from './routes.ts';
import { relay } from './relay.ts';
import type { RelayDeps } from './relay-types.ts';
import { trackExchange } from './exchange-tracker.ts';
import { assertOwnsReferences, bodyReferences, CHAT_COMPLETION_CREATE, EMBEDDING_CREATE, RESPONSE_CREATE } from './body-references.ts';
import type { Shape } from './reference-walk.ts';
import type { ModelNames } from './model-names.ts';
import { reservationFor } from './token-reservation.ts';

export interface InferenceDeps extends Omit<ProxyDeps, 'auth'> {
  /** API keys (whose liveness the limits check confirms) and sessions */
  readonly authenticators: readonly Authenticator[];
  readonly limits: InferenceLimits;
  /** the names usage rows may carry */
  readonly models: ModelNames;
  /** output tokens reserved for a request that states no cap */
  readonly reserveOutputTokens: number;
}

/** One admitted inference request. */
interface Inference {
  readonly io: RequestIo;
  readonly principal: Principal;
  readonly body: JsonBody;
  readonly meter: RequestMeter | undefined;
  /** the model as usage rows name it */
  readonly model: string;
  /** a background response (Responses with `background: true`) */
  readonly background: boolean;
}

type Kind = 'chat.completion' | 'response' | 'embedding';

function wantsStream(json: Record<string, unknown>): boolean {
  const stream = json.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw new AppError('invalid_request', 'stream must be a boolean', { param: 'stream' });
  return stream === true;
}

function modelOf(json: Record<string, unknown>): string | null {
  const m = json.model;
  return typeof m === 'string' ? m.slice(0, 200) : null;
}

/** The referenced conversation id in a Responses body: a string or `{ id }`. */
function conversationRef(json: Record<string, unknown>): string | null {
  const c = json.conversation;
  if (c === undefined || c === null) return null;
  if (typeof c === 'string') return c;
  if (typeof c === 'object' && typeof (c as { id?: unknown }).id === 'string') return (c as { id: string }).id;
  throw new AppError('invalid_request', 'conversation must be a conversation id or an object with an id', { param: 'conversation' });
}

/** The inference routes. */
export function createInferenceRoutes(deps: InferenceDeps): { router: Router<AppState> } {
  const relayDeps: RelayDeps = { upstream: deps.upstream, heartbeatMs: deps.heartbeatMs, logger: deps.logger, idempotencyKeys: deps.idempotencyKeys };
  const bodyOptions = { limitBytes: deps.bodyLimitBytes };

  /** The steps every inference request takes before its route, and the lease and reservation given back after. */
  const inference = (kind: Kind, shape: Shape, route: (r: Inference) => Promise<void>) => async (io: RequestIo): Promise<void> => {
    const known = authenticate(deps.authenticators, io);
    const principal = known instanceof Promise ? await known : known;
    io.principal = principal;
    if (!deps.upstream.configured) throw new AppError('upstream_not_configured', 'upstream not configured');
    const body = (await readJsonBody(io.req, io, bodyOptions))!;
    const references = bodyReferences(body.json, shape);
    const model = deps.models.usageName(modelOf(body.json));
    const background = kind === 'response' && body.json.background === true;
    const admitted = deps.limits.admit({
      principal, requestId: io.requestId, headers: io, model, background,
      reserveTokens: reservationFor(kind, body.json, body.raw.length, deps.reserveOutputTokens),
    });
    const admission = admitted instanceof Promise ? await admitted : admitted;
    try {
      const owned = assertOwnsReferences(deps.ownership, references, principal.userId);
      if (owned) await owned;
      await route({ io, principal, body, meter: admission.meter, model, background });
    } finally {
      const released = admission.release({ clientLeft: io.res.destroyed && !io.res.writableFinished });
      if (released) await released;
    }
  };

  const track = (r: Inference, kind: Kind, conversationId: string | null) => {
    const store = r.body.json.store;
    return trackExchange({
      kind,
      principal: r.principal,
      model: r.model,
      background: r.background,
      requestBody: r.body.raw,
      requestBytes: r.body.raw.length,
      meter: r.meter,
      conversationId,
      // Stored chat completions are the only ones upstream keeps; Responses are stored by default.
      recordOwnership: kind === 'response' ? store !== false : kind === 'chat.completion' && store === true,
      ownership: deps.ownership,
      events: deps.events,
      logger: deps.logger,
      requestId: r.io.requestId,
    });
  };

  const chatCompletions = inference('chat.completion', CHAT_COMPLETION_CREATE, (r) => {
    const stream = wantsStream(r.body.json);
    return relay(r.io, relayDeps, { method: 'POST', path: '/chat/completions', body: r.body.raw }, { stream, observer: track(r, 'chat.completion', null) });
  });

  // The conversation and previous_response_id were checked with the body's other references.
  const responses = inference('response', RESPONSE_CREATE, (r) => {
    const { json } = r.body;
    const conversation = conversationRef(json);
    const stream = wantsStream(json);
    return relay(r.io, relayDeps, { method: 'POST', path: '/responses', body: r.body.raw }, { stream, observer: track(r, 'response', conversation) });
  });

  const embeddings = inference('embedding', EMBEDDING_CREATE, (r) => {
    return relay(r.io, relayDeps, { method: 'POST', path: '/embeddings', body: r.body.raw }, { stream: false, observer: track(r, 'embedding', null) });
  });

  const router = createRouter();
  router.post('/v1/chat/completions', (ctx) => chatCompletions(koaIo(ctx)));
  router.post('/v1/responses', (ctx) => responses(koaIo(ctx)));
  router.post('/v1/embeddings', (ctx) => embeddings(koaIo(ctx)));
  return { router };
}
