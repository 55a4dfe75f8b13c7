// The one frame every request passes, whatever answers it: one ordered list of steps,
// implemented once, on Node's request and response. Before any route: request id, access log,
// security headers, the canonical path (any other spelling is 404), CORS (a preflight is
// answered here), client IP, the canonical loopback host (outside production), CSRF. Around
// the routes: one error renderer. Then the route: a hot route (the inference POSTs) is found by
// exact match and served on the frame's Exchange; every other request goes on to Koa, whose
// routers find it (routes.ts) and which hands it back to the frame's renderer and log. A step
// added here applies to every route at once; nothing reaches a handler without passing them.
//
// Why hot routes do not go through Koa: Koa's per-request context, request and response
// objects, middleware composition and router matching cost a third of an inference request's
// CPU (garbage collection most of it; docs/performance.md). They are found inside this frame,
// after the same steps, rather than by a second front door.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import type { AppMiddleware } from './context.ts';
import type { RequestLog } from './access-log.ts';
import { aborted } from './access-log.ts';
import type { SecurityHeaders } from './security-headers.ts';
import { htmlCsp } from './security-headers.ts';
import { ERROR_CONTENT_TYPE, errorResponse, logServerError, toAppError, unknownUrl } from './error-renderer.ts';
import { isCanonicalPath } from './canonical-path.ts';
import type { CorsHeaders } from './cors.ts';
import { preflight } from './cors.ts';
import { clientIpOf } from './client-ip.ts';
import { loopbackRedirect } from './canonical-host.ts';
import type { CsrfCheck } from './csrf.ts';
import { Exchange, headerOf } from './exchange.ts';

export interface FrameOptions {
  /** the request id for a request's own x-request-id header ('' when absent) */
  readonly requestIdFor: (given: string) => string;
  readonly securityHeaders: SecurityHeaders;
  readonly corsHeaders: CorsHeaders;
  readonly trustedProxies: readonly string[];
  /** PUBLIC_URL, to send page loads on a loopback IP there; null in production */
  readonly loopbackRedirectTo: URL | null;
  readonly csrf: CsrfCheck;
  readonly log: RequestLog;
  readonly logger: Logger;
}

/** A hot route's handler: it answers on the exchange (or throws). */
export type HotHandler = (ex: Exchange) => Promise<void>;

/** Where a request goes after the frame's steps. */
export interface FrameRoutes {
  /** `METHOD /path` → the handler of a hot route */
  readonly hot: ReadonlyMap<string, HotHandler>;
  /** everything else (Koa's request listener, behind `fromFrame`) */
  readonly rest: RequestListener;
}

/** The exchange the frame made for a request, on its request (read by Koa's first middleware) and its response (by the access log). */
const EXCHANGE = Symbol('cloister.exchange');
type Framed = IncomingMessage & { [EXCHANGE]?: Exchange };
type Logged = ServerResponse & { [EXCHANGE]?: Exchange };

/** The frame: its steps, its one error renderer, and the request listener that runs them. */
export function createFrame(options: FrameOptions) {
  const { requestIdFor, securityHeaders, log, logger, csrf } = options;
  const clientIp = clientIpOf(options.trustedProxies);
  const redirect = options.loopbackRedirectTo ? loopbackRedirect(options.loopbackRedirectTo) : null;
  const corsHeaders = options.corsHeaders;

  /** Renders any failure as OpenAI's error body; a response already under way is ended instead. */
  function renderError(ex: Exchange, e: unknown): void {
    const err = toAppError(e);
    logServerError(logger, ex.requestId, err);
    const res = ex.res;
    if (res.headersSent || res.destroyed) {
      // A streamed answer ends itself with an SSE error event; never leave one open.
      if (!res.writableEnded) res.end();
      return;
    }
    const { status, headers, body } = errorResponse(err);
    for (const [name, value] of headers) ex.set(name, value);
    ex.send(status, ERROR_CONTENT_TYPE, body);
  }

  /** Steps before any route; true when a step answered the request itself. */
  function before(ex: Exchange, method: string, path: string): boolean {
    if (!isCanonicalPath(path)) throw unknownUrl(method, path);
    const origin = ex.get('origin');
    if (origin) {
      ex.set('vary', 'Origin');
      for (const [name, value] of corsHeaders(origin)) ex.set(name, value);
      if (method === 'OPTIONS' && ex.get('access-control-request-method')) {
        preflight(ex);
        ex.send(204, '', '');
        return true;
      }
    }
    ex.clientIp = clientIp(ex.req.socket.remoteAddress ?? '', () => ex.get('x-forwarded-for'));
    if (redirect) {
      const to = redirect(method, path, ex);
      if (to !== null) {
        ex.set('location', to);
        ex.send(302, 'text/plain; charset=utf-8', `Redirecting to ${to}`);
        return true;
      }
    }
    csrf(method, ex);
    return false;
  }

  /** The access-log line of a response, written once it is finished or aborted ('close' comes once). */
  function logClosed(this: Logged): void {
    const ex = this[EXCHANGE]!;
    log({ requestId: ex.requestId, method: ex.req.method ?? 'GET', route: ex.route, status: this.statusCode, ms: performance.now() - ex.start, userId: ex.principal?.userId ?? null, aborted: aborted(this) });
  }

  function listener(routes: FrameRoutes): RequestListener {
    const { hot, rest } = routes;
    return (req: IncomingMessage, res: ServerResponse) => {
      const ex = new Exchange(req, res, requestIdFor(headerOf(req, 'x-request-id')), securityHeaders.flat);
      const method = req.method ?? 'GET';
      (res as Logged)[EXCHANGE] = ex;
      res.on('close', logClosed);
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      try {
        if (before(ex, method, path)) return;
      } catch (e) {
        renderError(ex, e);
        return;
      }
      const handler = hot.get(`${method} ${path}`);
      if (handler !== undefined) {
        ex.route = path;
        // As through Koa: unanswered until the handler answers (a client that leaves first is logged so).
        res.statusCode = 404;
        handler(ex).then(() => {
          // Every handler answers unless the client left; anything else is our bug, not a hang.
          if (!res.headersSent && !res.destroyed) renderError(ex, new Error('the handler did not answer'));
        }, (e: unknown) => renderError(ex, e));
        return;
      }
      ex.toResponseObject();
      (req as Framed)[EXCHANGE] = ex;
      rest(req, res);
    };
  }

  /**
   * Koa's first middleware: the frame's exchange in ctx.state, and the frame's renderer for
   * whatever the routes throw or leave unanswered. Koa never renders an error itself.
   */
  const fromFrame: AppMiddleware = async (ctx, next) => {
    const ex = (ctx.req as Framed)[EXCHANGE];
    if (!ex) throw new Error('a request reached Koa without passing the frame');
    ctx.state.exchange = ex;
    ctx.state.requestId = ex.requestId;
    ctx.state.clientIp = ex.clientIp;
    // One record of who is asking: a guard that sets ctx.state.principal sets the exchange's.
    Object.defineProperty(ctx.state, 'principal', { get: () => ex.principal, set: (p) => { ex.principal = p; }, enumerable: true });
    try {
      await next();
      if (ctx.status === 404 && ctx.body == null && !ctx.res.headersSent) throw unknownUrl(ctx.method, ctx.path);
    } catch (e) {
      ctx.respond = false;
      renderError(ex, e);
    } finally {
      const route = ctx.state.route ?? (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
      if (typeof route === 'string') ex.route = route;
      // The route answered on the exchange itself (a relayed stream): Koa must not answer again.
      if (ctx.res.headersSent) ctx.respond = false;
      else if (/text\/html/.test(String(ctx.response.get('content-type')))) ctx.set('content-security-policy', htmlCsp);
    }
  };

  return { listener, fromFrame, renderError };
}
