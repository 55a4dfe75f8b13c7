// Outside production, a browser that opens the app on a loopback IP (http://127.0.0.1:8080)
// is sent to PUBLIC_URL's host (http://localhost:8080): passkeys need a host name, and the
// session cookie belongs to that origin. API and operations routes are never redirected.
import type { AppMiddleware } from './context.ts';

const API = /^\/(v1|healthz|readyz|metrics|openapi\.json)(\/|$)/i;
const LOOPBACK_IP = /^(127\.\d+\.\d+\.\d+|\[::1\])$/;

/** Redirects page loads on a loopback IP to PUBLIC_URL when PUBLIC_URL is localhost. */
export function canonicalLoopbackHost(publicUrl: URL): AppMiddleware {
  const enabled = publicUrl.hostname === 'localhost';
  return async (ctx, next) => {
    // Cheapest tests first: API calls and non-page methods never look at the host.
    if (!enabled || (ctx.method !== 'GET' && ctx.method !== 'HEAD') || API.test(ctx.path)) return next();
    const hostname = ctx.host.replace(/:\d+$/, '');
    if (LOOPBACK_IP.test(hostname) && ctx.accepts('html') === 'html') {
      const port = ctx.host.slice(hostname.length); // keep the port the browser used
      ctx.redirect(`${publicUrl.protocol}//localhost${port}${ctx.url}`);
      return;
    }
    await next();
  };
}
