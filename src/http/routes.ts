// The routes, made from their declarations (route.ts). Routed ones go on one router per trust
// level — public, signed-in users, admins — each with its guard applied once, as the router's
// own middleware (it runs exactly when one of its routes matched; no guard ever looks at the
// path). Hot ones are served by the frame on an exact match, behind the same user guard (in its
// Exchange form). Before a handler runs, its inputs are validated against its schemas: a path
// parameter that fails is a 404, a query or body that fails is a 400 naming the field, an
// unknown query name is a 400.
import type Router from '@koa/router';
import type { AllowedMethodsOptions } from '@koa/router';
import { koaBody } from 'koa-body';
import { Compile, type Validator } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { AppError } from '../errors.ts';
import type { AppContext, AppMiddleware, AppState } from './context.ts';
import { createRouter } from './router.ts';
import type { Access, BodyInput, Route } from './route.ts';
import { readJsonBody } from './body.ts';
import { assertNoDuplicateKeys } from './json-members.ts';
import type { Exchange } from './exchange.ts';
import type { HotHandler } from './frame.ts';

/** What stands before each trust level's routes. */
export interface Guards {
  /** sets ctx.state.principal, or throws 401 */
  readonly user: AppMiddleware;
  /** the same for a hot route: sets ex.principal, or throws 401 */
  readonly hotUser: (ex: Exchange) => Promise<void>;
  /** sets ctx.state.principal for an enabled admin, or throws the 404 of an unknown URL */
  readonly admin: AppMiddleware;
}

export interface MountedRoutes {
  /** the routers in the order they run: public, signed-in, admin */
  readonly routers: ReadonlyArray<Router<AppState>>;
  /** the routers' middleware, with the 405s and OPTIONS answers of the public and signed-in routers */
  readonly middleware: AppMiddleware[];
  /** `METHOD /path` → a hot route's handler, for the frame */
  readonly hot: ReadonlyMap<string, HotHandler>;
}

const DEFAULT_JSON_LIMIT = 64 * 1024;

/** A forwarded body's limit (BODY_LIMIT_BYTES) and what its 413 says. */
interface BodyLimits {
  readonly limitBytes: number;
  readonly tooLarge: string | undefined;
}

/** `/nested/a` or `/items/0/id` as OpenAI's `param`: `nested.a`, `items[0].id`. */
function paramOf(instancePath: string, fallback: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out === '' ? p : `.${p}`;
  return out || fallback;
}

/** The first problem a validator finds in `value`, as an OpenAI-shaped 400. */
function invalid(validator: Validator, value: unknown, where: string): AppError {
  const [first] = validator.Errors(value);
  if (!first) return new AppError('invalid_request', `The ${where} is not valid.`);
  const { additionalProperties: extra, requiredProperties: missing } = first.params as { additionalProperties?: string[]; requiredProperties?: string[] };
  if (extra?.length) {
    const name = paramOf(`${first.instancePath}/${extra[0]!}`, extra[0]!);
    return new AppError('invalid_request', `Unknown ${where === 'query' ? 'query parameter' : 'field'}: ${name}.`, { param: name });
  }
  if (missing?.length) {
    const name = paramOf(`${first.instancePath}/${missing[0]!}`, missing[0]!);
    return new AppError('invalid_request', `${name} is required.`, { param: name });
  }
  const name = paramOf(first.instancePath, where);
  return new AppError('invalid_request', `${name} ${first.message}.`, { param: name });
}

const compile = (schema: TSchema | undefined): Validator | null => (schema ? Compile(schema) : null);

/** Reads a body Cloister parses itself (koa-body: JSON only), then checks and validates it. */
function jsonBodyStep(input: Extract<BodyInput, { json: TSchema }>): AppMiddleware[] {
  const validator = Compile(input.json);
  const parse = koaBody({
    json: true, urlencoded: false, text: false, multipart: false, jsonStrict: true,
    includeUnparsed: true, jsonLimit: input.limitBytes ?? DEFAULT_JSON_LIMIT, patchKoa: true,
  }) as unknown as AppMiddleware;
  const check: AppMiddleware = (ctx, next) => {
    const length = ctx.get('content-length');
    const present = (length !== '' && length !== '0') || ctx.get('transfer-encoding') !== '';
    if (!present) {
      if (input.optional) return next();
      throw new AppError('invalid_json', 'A JSON request body is required.');
    }
    if (!ctx.is('application/json', '+json')) throw new AppError('unsupported_media_type', 'Unsupported content type; send application/json.');
    return next();
  };
  const validate: AppMiddleware = (ctx, next) => {
    const raw = (ctx.request as unknown as { rawBody?: string }).rawBody;
    if (raw === undefined) return next(); // an optional body, absent
    const parsed: unknown = ctx.request.body;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AppError('invalid_json', 'The JSON body must be an object.');
    assertNoDuplicateKeys(raw, parsed);
    if (!validator.Check(parsed)) throw invalid(validator, parsed, 'body');
    ctx.state.body = parsed;
    return next();
  };
  return [check, parse, validate];
}

/** The middleware a route's handler runs behind: its inputs validated, then the handler. */
function routeChain(route: Route, limits: BodyLimits): AppMiddleware[] {
  const params = compile(route.params);
  const query = compile(route.query);
  const steps: AppMiddleware[] = [...(route.before ?? [])];
  if (route.body && 'json' in route.body) steps.push(...jsonBodyStep(route.body));
  const forwardOptions = route.body && 'forward' in route.body ? { ...limits, optional: route.body.optional === true } : null;
  steps.push(async (ctx: AppContext) => {
    if (params && !params.Check(ctx.params)) {
      const name = paramOf(params.Errors(ctx.params)[0]?.instancePath ?? '', 'id');
      throw new AppError('not_found', `No object found with ${name} '${String((ctx.params as Record<string, unknown>)[name] ?? '').slice(0, 128)}'.`, { param: name });
    }
    let q: unknown = {};
    if (query) {
      q = query.Convert({ ...ctx.query });
      if (!query.Check(q)) throw invalid(query, q, 'query');
    }
    const body = forwardOptions ? await readJsonBody(ctx.req, ctx, forwardOptions) : ctx.state.body;
    await route.handle!(ctx, { params: ctx.params, query: q, body });
  });
  return steps;
}

/** A hot route's (absent) path parameters and query. */
const NO_INPUT: Readonly<Record<string, never>> = Object.freeze({});

/** A hot route's handler: its guard, its forwarded body, then the route. */
function hotHandler(route: Route, guards: Guards, limits: BodyLimits): HotHandler {
  if (route.body && !('forward' in route.body)) throw new Error(`${route.method} ${route.path}: a hot route's body is forwarded`);
  const bodyOptions = route.body ? { ...limits, optional: route.body.optional === true } : null;
  const guard = route.access === 'user' ? guards.hotUser : null;
  const serve = route.serve!;
  return async (ex) => {
    if (guard) await guard(ex);
    const body = bodyOptions ? await readJsonBody(ex.req, ex, bodyOptions) : undefined;
    await serve(ex, { params: NO_INPUT, query: NO_INPUT, body });
  };
}

/**
 * A hidden router's routes: when none of them answers, the layers whose path matched are taken
 * out of ctx.matched again, so no router's 405 or OPTIONS answer can reveal that the path exists.
 */
function hidden(router: Router<AppState>): AppMiddleware {
  const dispatch = router.routes() as unknown as AppMiddleware;
  return (ctx, next) => {
    const c = ctx as unknown as { matched?: unknown[] };
    const before = c.matched?.length ?? 0;
    return dispatch(ctx, () => {
      if (c.matched) c.matched.length = before;
      return next();
    });
  };
}

/** The routers for `routes`, behind `guards`. */
export function mountRoutes(routes: readonly Route[], guards: Guards, options: { bodyLimitBytes: number; bodyTooLarge?: string; allowed: AllowedMethodsOptions }): MountedRoutes {
  const limits: BodyLimits = { limitBytes: options.bodyLimitBytes, tooLarge: options.bodyTooLarge };
  const byAccess: Record<Access, Router<AppState>> = {
    public: createRouter(),
    user: createRouter(),
    admin: createRouter({ hidden: true }),
  };
  byAccess.user.use(guards.user);
  byAccess.admin.use(guards.admin);
  const hot = new Map<string, HotHandler>();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    if (hot.has(key) || routes.filter((o) => o.method === r.method && o.path === r.path).length > 1) throw new Error(`${key} is declared twice`);
    if (r.serve) {
      hot.set(key, hotHandler(r, guards, limits));
      continue;
    }
    byAccess[r.access].register(r.path, [r.method], routeChain(r, limits));
  }
  const routers = [byAccess.public, byAccess.user, byAccess.admin];
  return {
    routers,
    hot,
    middleware: [
      hidden(byAccess.admin),
      byAccess.public.routes(), byAccess.public.allowedMethods(options.allowed),
      byAccess.user.routes(), byAccess.user.allowedMethods(options.allowed),
    ] as AppMiddleware[],
  };
}
