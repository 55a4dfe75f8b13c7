// The inference routes: POST /v1/chat/completions, /v1/responses and /v1/embeddings. Hot
// routes: the frame finds them by exact match and serves them on its Exchange after the same
// steps as every route, behind the user guard, their body read as exact bytes. Per request:
// require an upstream, walk the body for references (a refused one is a 400 before the limits
// or the database see the request), refuse a model the operator did not allow (404
// model_not_found: a Set lookup, before the limits charge anything), pass the limits, check every referenced id is the
// caller's (one query for all of them, none when there are none), relay.
import { AppError } from '../errors.ts';
import type { Principal } from '../shared/principal.ts';
import type { JsonBody } from '../http/body.ts';
import type { RequestMeter } from '../shared/metering.ts';
import type { Exchange } from '../http/exchange.ts';
import { route, type Route } from '../http/route.ts';
import type { InferenceLimits } from '../limits/inference-guard.ts';
import type { ProxyDeps } from './routes.ts';
import { relay } from './relay.ts';
import type { RelayDeps } from './relay-types.ts';
import { trackExchange } from './exchange-tracker.ts';
import { assertOwnsReferences, bodyReferences, CHAT_COMPLETION_CREATE, EMBEDDING_CREATE, RESPONSE_CREATE } from './body-references.ts';
import type { Shape } from './reference-walk.ts';
import type { ModelNames } from './model-names.ts';
import type { ModelPolicy } from '../shared/model-policy.ts';
import { reservationFor } from './token-reservation.ts';

export interface InferenceDeps extends ProxyDeps {
  readonly limits: InferenceLimits;
  /** the names usage rows may carry */
  readonly models: ModelNames;
  /** the models the operator allows */
  readonly policy: ModelPolicy;
  /** output tokens reserved for a request that states no cap */
  readonly reserveOutputTokens: number;
}

/** One admitted inference request. */
interface Inference {
  readonly io: Exchange;
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
export function inferenceRoutes(deps: InferenceDeps): Route[] {
  const relayDeps: RelayDeps = { upstream: deps.upstream, clock: deps.clock, heartbeatMs: deps.heartbeatMs, logger: deps.logger, idempotencyKeys: deps.idempotencyKeys };

  /** The steps every inference request takes before its route, and the lease and reservation given back after. */
  const inference = (kind: Kind, shape: Shape, route: (r: Inference) => Promise<void>) => async (io: Exchange, body: JsonBody): Promise<void> => {
    const principal = io.principal!;
    if (!deps.upstream.configured) throw new AppError('upstream_not_configured', 'upstream not configured');
    const references = bodyReferences(body.json, shape);
    deps.policy.assertAllowed(body.json.model);
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

  const body = { forward: true } as const;
  return [
    route({
      method: 'POST', path: '/v1/chat/completions', access: 'user', body,
      doc: { tag: 'chat', summary: 'Create a chat completion (stream or not); signed', stream: true, limited: true },
      serve: (ex, input) => chatCompletions(ex, input.body),
    }),
    route({
      method: 'POST', path: '/v1/responses', access: 'user', body,
      doc: { tag: 'responses', summary: 'Create a response (stream, background); conversation and previous_response_id must be yours; signed', stream: true, limited: true },
      serve: (ex, input) => responses(ex, input.body),
    }),
    route({
      method: 'POST', path: '/v1/embeddings', access: 'user', body,
      doc: { tag: 'embeddings', summary: 'Create embeddings', limited: true },
      serve: (ex, input) => embeddings(ex, input.body),
    }),
  ];
}
