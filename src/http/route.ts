// A route, declared once: its method and path, who may call it, what it takes (path
// parameters, query, body — as TypeBox schemas, which are JSON Schema) and what it answers.
// From the declarations come the routers (one per trust level, each behind its guard:
// routes.ts), the validation of every input before the handler runs, and the OpenAPI
// document (openapi.ts). A handler receives its inputs validated and typed.
import type { Static, TSchema } from 'typebox';
import type { AppContext, AppMiddleware } from './context.ts';
import type { JsonBody } from './body.ts';
import type { Exchange } from './exchange.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public`: anyone. `user`: a signed-in user or an API key; anyone else
 * gets 401. `admin`: an enabled admin; anyone else gets the 404 of an unknown URL, and the admin
 * router answers no 405 or OPTIONS, so the surface cannot be probed.
 */
export type Access = 'public' | 'user' | 'admin';

/** A JSON body Cloister reads itself: parsed, checked for repeated keys, validated against `schema`. */
export interface JsonInput<S extends TSchema = TSchema> {
  readonly json: S;
  /** an empty body is allowed (the handler gets undefined) */
  readonly optional?: boolean;
  /** the most bytes the body may have (default 64 KiB) */
  readonly limitBytes?: number;
}

/**
 * A JSON body forwarded upstream byte for byte (and hashed as received by the signer): read as
 * exact bytes up to BODY_LIMIT_BYTES, checked for repeated keys, walked by the route itself for
 * references (src/proxy/body-references.ts). Its shape is OpenAI's.
 */
export interface ForwardedInput {
  readonly forward: true;
  readonly optional?: boolean;
  /** for the OpenAPI document: the fields Cloister itself checks before forwarding (absent: OpenAI's object) */
  readonly checked?: TSchema;
}

export type BodyInput = JsonInput | ForwardedInput;

/** What the OpenAPI document says of a route. */
export interface RouteDoc {
  readonly summary: string;
  readonly tag: string;
  /** Cloister's own answer; absent: OpenAI's object, passed through */
  readonly response?: TSchema;
  /** the status of a successful answer (default 200) */
  readonly status?: number;
  /** may answer text/event-stream */
  readonly stream?: boolean;
  /** an inference route: rate limits, budgets and concurrency apply */
  readonly limited?: boolean;
}

type BodyOf<B> = B extends JsonInput<infer S> ? (B extends { optional: true } ? Static<S> | undefined : Static<S>)
  : B extends ForwardedInput ? (B extends { optional: true } ? JsonBody | null : JsonBody) : undefined;

/** A handler's validated inputs. */
export interface Input<P, Q, B> {
  readonly params: P extends TSchema ? Static<P> : Record<string, never>;
  readonly query: Q extends TSchema ? Static<Q> : Record<string, never>;
  readonly body: BodyOf<B>;
}

export interface RouteSpec<P extends TSchema | undefined, Q extends TSchema | undefined, B extends BodyInput | undefined> {
  readonly method: Method;
  /** @koa/router syntax: `/v1/users/me/api-keys/:id` */
  readonly path: string;
  readonly access: Access;
  readonly doc: RouteDoc;
  /** an object schema of the path parameters; a value that fails it is a 404 */
  readonly params?: P;
  /** an object schema of the query string (values coerced from strings); unknown names are refused */
  readonly query?: Q;
  readonly body?: B;
  /** steps after the guard and before the inputs are read (a rate limit) */
  readonly before?: readonly AppMiddleware[];
  /** answers through Koa: the handler sets ctx.body, or answers on ctx.state.exchange */
  handle?(ctx: AppContext, input: Input<P, Q, B>): unknown;
  /**
   * A hot route (an exact path, no parameters or query): found by exact match inside the frame
   * and served on its Exchange without Koa (src/http/frame.ts says why). Its guard and body are
   * the same as a routed one's.
   */
  serve?(ex: Exchange, input: Input<P, Q, B>): Promise<void>;
}

/** A declared route, its input types erased (what the routers and the OpenAPI document take). */
export interface Route {
  readonly method: Method;
  readonly path: string;
  readonly access: Access;
  readonly doc: RouteDoc;
  readonly params?: TSchema;
  readonly query?: TSchema;
  readonly body?: BodyInput;
  readonly before?: readonly AppMiddleware[];
  handle?(ctx: AppContext, input: { params: unknown; query: unknown; body: unknown }): unknown;
  serve?(ex: Exchange, input: { params: unknown; query: unknown; body: unknown }): Promise<void>;
}

/** Declares a route; its handler's inputs are typed from its schemas. */
export function route<P extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined, B extends BodyInput | undefined = undefined>(spec: RouteSpec<P, Q, B>): Route {
  if ((spec.handle === undefined) === (spec.serve === undefined)) throw new Error(`${spec.method} ${spec.path}: a route has a handle or a serve, not both`);
  if (spec.serve && (spec.params || spec.query || spec.before || /[:*]/.test(spec.path) || spec.access === 'admin')) throw new Error(`${spec.method} ${spec.path}: a hot route has an exact path, no query and no admin guard`);
  return spec as unknown as Route;
}
