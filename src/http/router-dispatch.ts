// Mounts the capability routers behind one middleware that runs only the routers able to match
// the request path. Mounting each router's routes() and allowedMethods() in sequence makes every
// request run every router's matcher (a regular expression per route) and two middleware per
// router; a router none of whose routes can match the path would only have passed the request
// on, so skipping it changes nothing. The routers that may match run in their original order,
// with their own allowedMethods, so 405s and OPTIONS answers are exactly those of the routers.
import type Router from '@koa/router';
import type { AllowedMethodsOptions } from '@koa/router';
import compose from 'koa-compose';
import type { AppContext, AppMiddleware, AppState } from './context.ts';
import { isHiddenRouter, isStrictRouter } from './router.ts';

type AnyRouter = Router<AppState>;

/**
 * The literal start every path a route matches begins with (routes match case-sensitively).
 * Stops at the first character that could be a parameter, wildcard or pattern syntax, so it is
 * a prefix of every matching path; '' when nothing is certain.
 */
export function literalPrefix(layerPath: unknown): string {
  if (typeof layerPath !== 'string') return '';
  const end = /[^A-Za-z0-9/_-]/.exec(layerPath)?.index ?? layerPath.length;
  return layerPath.slice(0, end);
}

/** The minimal set of literal prefixes covering every route and middleware layer of a router. */
function routerPrefixes(router: AnyRouter): string[] {
  const all = [...new Set(router.stack.map((layer) => literalPrefix(layer.path)))].sort((a, b) => a.length - b.length);
  return all.filter((p, i) => !all.slice(0, i).some((shorter) => p.startsWith(shorter)));
}

type Middleware = (ctx: AppContext, next: () => Promise<unknown>) => Promise<unknown> | unknown;

/** One middleware running, in order, the routes() and allowedMethods() of the routers that may match. */
export function dispatchRouters(routers: readonly AnyRouter[], allowed: AllowedMethodsOptions): AppMiddleware & { readonly routers: readonly AnyRouter[]; candidates(path: string): number[] } {
  if (routers.length === 0 || routers.length > 30) throw new Error('dispatchRouters takes 1 to 30 routers');
  if (!routers.every(isStrictRouter)) throw new Error('every router must come from createRouter (case-sensitive and strict)');
  const entries = routers.map((r) => ({ prefixes: routerPrefixes(r), stack: (isHiddenRouter(r) ? [r.routes()] : [r.routes(), r.allowedMethods(allowed)]) as Middleware[] }));
  // No router can match: what the innermost allowedMethods would still do (an unknown method is
  // refused with 405 rather than 404), as when every router ran and none matched.
  const none = routers.at(-1)!.allowedMethods(allowed) as Middleware;
  const maskOf = (path: string): number => {
    let mask = 0;
    for (let i = 0; i < entries.length; i++) {
      for (const p of entries[i]!.prefixes) {
        if (path.startsWith(p)) {
          mask |= 1 << i;
          break;
        }
      }
    }
    return mask;
  };
  // At most 2^routers chains, in practice a handful: one per distinct set of candidates.
  const chains = new Map<number, Middleware>();
  const chainFor = (mask: number): Middleware => {
    let chain = chains.get(mask);
    if (!chain) {
      chain = mask === 0 ? none : compose(entries.filter((_, i) => (mask & (1 << i)) !== 0).flatMap((e) => e.stack)) as Middleware;
      chains.set(mask, chain);
    }
    return chain;
  };
  const middleware = (ctx: AppContext, next: () => Promise<unknown>) => {
    const mask = maskOf(ctx.path);
    if (mask === 0) (ctx as unknown as { matched?: unknown[] }).matched ??= [];
    return chainFor(mask)(ctx, next);
  };
  return Object.assign(middleware, {
    routers,
    candidates: (path: string) => entries.flatMap((_, i) => ((maskOf(path) & (1 << i)) !== 0 ? [i] : [])),
  });
}
