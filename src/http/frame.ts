// The one frame every request passes, whatever route answers it: one ordered list of steps,
// implemented once. Before the routes: request id, access log, security headers, the canonical
// path (any other spelling is 404), CORS (a preflight is answered here), client IP, the
// canonical loopback host (outside production), CSRF. Around them and the routes: one error
// renderer. After: a request no route answered is the 404 of an unknown URL, and a page gets
// the HTML CSP. Routes are found after the frame (src/http/routes.ts); nothing reaches a
// handler without passing every step, and a step added here applies to every route at once.
import type { Logger } from '../log.ts';
import type { AppContext, AppMiddleware } from './context.ts';
import { recordOf, type RequestLog } from './access-log.ts';
import type { SecurityHeaders } from './security-headers.ts';
import { htmlCspForPages } from './security-headers.ts';
import { renderError, unknownUrl } from './error-renderer.ts';
import { isCanonicalPath } from './canonical-path.ts';
import { cors, type CorsHeaders } from './cors.ts';
import { clientIpOf } from './client-ip.ts';
import { canonicalLoopbackHost } from './canonical-host.ts';
import type { CsrfCheck } from './csrf.ts';

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

/** The frame, as the Koa middleware every request enters first. */
export function createFrame(options: FrameOptions): AppMiddleware {
  const { requestIdFor, securityHeaders, log, logger, csrf } = options;
  const corsStep = cors(options.corsHeaders);
  const clientIp = clientIpOf(options.trustedProxies);
  const loopbackRedirect = options.loopbackRedirectTo ? canonicalLoopbackHost(options.loopbackRedirectTo) : null;

  return async (ctx: AppContext, next) => {
    const start = performance.now();
    const id = requestIdFor(ctx.get('x-request-id'));
    ctx.state.requestId = id;
    ctx.res.once('close', () => log(recordOf(ctx, start)));
    // Set before any route runs: a streamed response writes its head itself.
    securityHeaders.apply(ctx.res);
    ctx.res.setHeader('x-request-id', id);
    try {
      if (!isCanonicalPath(ctx.path)) throw unknownUrl(ctx);
      if (corsStep(ctx)) return;
      ctx.state.clientIp = clientIp(ctx.req.socket.remoteAddress ?? '', () => ctx.get('x-forwarded-for'));
      if (loopbackRedirect?.(ctx)) return;
      csrf(ctx.method, ctx);
      await next();
      if (ctx.status === 404 && ctx.body == null && !ctx.res.headersSent) throw unknownUrl(ctx);
    } catch (e) {
      renderError(ctx, e, logger);
    } finally {
      htmlCspForPages(ctx);
    }
  };
}
