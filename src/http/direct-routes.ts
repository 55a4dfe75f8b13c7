// The direct routes: the inference POSTs (chat completions, responses, embeddings), served on
// Node's request and response without Koa's per-request context, middleware chain and router.
// They are most of a chat proxy's traffic, and that machinery cost a third of their CPU. Every
// response gets the same frame as through Koa — request id, security headers, CORS, CSRF,
// OpenAI-shaped errors, the access log — built from the same functions (app.ts hands both
// front doors the same instances). Only the exact path with POST comes here; any other method
// or spelling of the path goes to Koa, whose router has the same handlers.
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Principal } from '../shared/principal.ts';
import { aborted, type RequestLog } from './access-log.ts';
import type { CorsHeaders } from './cors.ts';
import type { CsrfCheck } from './csrf.ts';
import { ERROR_CONTENT_TYPE, errorResponse, logServerError, toAppError } from './error-renderer.ts';
import { headerOf, type RequestIo } from './request-io.ts';
import type { SecurityHeaders } from './security-headers.ts';

/** A POST route served directly. */
export interface DirectRoute {
  /** the exact path, also the route pattern the access log and the OpenAPI document name */
  readonly path: string;
  handle(io: RequestIo): Promise<void>;
}

/** What every response gets, whichever front door it came through. */
export interface Frame {
  readonly requestIdFor: (given: string) => string;
  readonly securityHeaders: SecurityHeaders;
  readonly corsHeaders: CorsHeaders;
  readonly csrf: CsrfCheck;
  readonly log: RequestLog;
  readonly logger: Logger;
}

/**
 * A direct route's request and response. Its headers are kept here, as Node's writeHead takes
 * them (name, value, …), and go out with the status line: no per-header bookkeeping in the
 * response object, which for a dozen headers per answer was a visible share of the work.
 */
class DirectIo implements RequestIo {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  principal: Principal | undefined = undefined;
  private readonly headers: string[];
  constructor(req: IncomingMessage, res: ServerResponse, requestId: string, frameHeaders: readonly string[]) {
    this.req = req;
    this.res = res;
    this.requestId = requestId;
    this.headers = ['x-request-id', requestId, ...frameHeaders];
  }

  get(name: string): string {
    return headerOf(this.req, name);
  }

  /** Names are lower-case (every caller's are), so a name is found by plain comparison. */
  private indexOf(name: string): number {
    const h = this.headers;
    for (let i = 0; i < h.length; i += 2) if (h[i] === name) return i;
    return -1;
  }

  set(name: string, value: string): void {
    const at = this.indexOf(name);
    if (at === -1) this.headers.push(name, value);
    else this.headers[at + 1] = value;
  }

  has(name: string): boolean {
    return this.indexOf(name) !== -1;
  }

  send(status: number, contentType: string, body: Buffer): void {
    const res = this.res;
    if (status === 204 || status === 304) {
      res.writeHead(status, this.headers);
      res.end();
      return;
    }
    this.set('content-type', contentType);
    this.headers.push('content-length', String(body.length));
    res.writeHead(status, this.headers);
    res.end(body);
  }

  takeOver(status: number): void {
    this.res.writeHead(status, this.headers);
    this.res.flushHeaders();
  }
}

/**
 * The request listener for the direct routes: true when it took the request, false when Koa
 * should have it.
 */
export function directRoutes(routes: readonly DirectRoute[], frame: Frame): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byPath = new Map(routes.map((r) => [r.path, r]));

  function renderError(io: RequestIo, e: unknown): void {
    const err = toAppError(e);
    logServerError(frame.logger, io.requestId, err);
    const res = io.res;
    if (res.headersSent || res.destroyed) {
      // A streamed answer ends itself; never leave one open.
      if (!res.writableEnded) res.end();
      return;
    }
    const { status, headers, body } = errorResponse(err);
    for (const [name, value] of headers) io.set(name, value);
    io.send(status, ERROR_CONTENT_TYPE, Buffer.from(body));
  }

  function serve(route: DirectRoute, req: IncomingMessage, res: ServerResponse): void {
    const start = performance.now();
    const io = new DirectIo(req, res, frame.requestIdFor(headerOf(req, 'x-request-id')), frame.securityHeaders.flat);
    // As through Koa: unanswered until a handler answers (a client that leaves first is logged so).
    res.statusCode = 404;
    const origin = headerOf(req, 'origin');
    if (origin) {
      io.set('vary', 'Origin');
      for (const [name, value] of frame.corsHeaders(origin)) io.set(name, value);
    }
    res.once('close', () => {
      frame.log({
        requestId: io.requestId, method: 'POST', route: route.path, status: res.statusCode,
        ms: performance.now() - start, userId: io.principal?.userId ?? null, aborted: aborted(res),
      });
    });
    let handled: Promise<void>;
    try {
      frame.csrf('POST', io);
      handled = route.handle(io);
    } catch (e) {
      handled = Promise.reject(e);
    }
    handled.then(() => {
      // Every handler answers unless the client left; anything else is our bug, not a hang.
      if (!res.headersSent && !res.destroyed) renderError(io, new AppError('internal_error', 'the handler did not answer'));
    }, (e: unknown) => renderError(io, e));
  }

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const route = byPath.get(query === -1 ? url : url.slice(0, query));
    if (route === undefined) return false;
    serve(route, req, res);
    return true;
  };
}

/** One request listener: the direct routes first, then Koa. */
export function withDirectRoutes(direct: (req: IncomingMessage, res: ServerResponse) => boolean, koa: RequestListener): RequestListener {
  return (req, res) => {
    if (!direct(req, res)) koa(req, res);
  };
}
