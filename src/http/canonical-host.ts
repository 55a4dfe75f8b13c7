// Outside production, a browser that opens the app on a loopback IP (http://127.0.0.1:8080)
// is sent to PUBLIC_URL's host (http://localhost:8080): passkeys need a host name, and the
// session cookie belongs to that origin. API and operations routes are never redirected.
import type { AppContext } from './context.ts';

const API = /^\/(v1|healthz|readyz|metrics|openapi\.json)(\/|$)/i;
const LOOPBACK_IP = /^(127\.\d+\.\d+\.\d+|\[::1\])$/;

/**
 * The frame's step that redirects page loads on a loopback IP to PUBLIC_URL (true: it answered);
 * null when PUBLIC_URL is not localhost, so nothing is ever redirected.
 */
export function canonicalLoopbackHost(publicUrl: URL): ((ctx: AppContext) => boolean) | null {
  if (publicUrl.hostname !== 'localhost') return null;
  return (ctx) => {
    // Cheapest tests first: API calls and non-page methods never look at the host.
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || API.test(ctx.path)) return false;
    const hostname = ctx.host.replace(/:\d+$/, '');
    if (!LOOPBACK_IP.test(hostname) || ctx.accepts('html') !== 'html') return false;
    const port = ctx.host.slice(hostname.length); // keep the port the browser used
    ctx.redirect(`${publicUrl.protocol}//localhost${port}${ctx.url}`);
    return true;
  };
}
