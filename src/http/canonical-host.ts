// Outside production, a browser that opens the app on a loopback IP (http://127.0.0.1:8080)
// is sent to PUBLIC_URL's host (http://localhost:8080): passkeys need a host name, and the
// session cookie belongs to that origin. API and operations routes are never redirected.
import type { HeaderSource } from './exchange.ts';

const API = /^\/(v1|healthz|readyz|metrics|openapi\.json)(\/|$)/i;
const LOOPBACK_IP = /^(127\.\d+\.\d+\.\d+|\[::1\])$/;

/** Whether a request's Accept header takes HTML (no header takes anything). */
function acceptsHtml(accept: string): boolean {
  return accept === '' || /text\/html|\*\/\*/.test(accept);
}

/**
 * The frame's step that redirects page loads on a loopback IP to PUBLIC_URL: the URL to send the
 * browser to, or null. Only for a PUBLIC_URL on localhost (null otherwise: nothing redirects).
 */
export function loopbackRedirect(publicUrl: URL): ((method: string, path: string, headers: HeaderSource & { readonly req: { url?: string } }) => string | null) | null {
  if (publicUrl.hostname !== 'localhost') return null;
  return (method, path, headers) => {
    // Cheapest tests first: API calls and non-page methods never look at the host.
    if ((method !== 'GET' && method !== 'HEAD') || API.test(path)) return null;
    const host = headers.get('host');
    const hostname = host.replace(/:\d+$/, '');
    if (!LOOPBACK_IP.test(hostname) || !acceptsHtml(headers.get('accept'))) return null;
    const port = host.slice(hostname.length); // keep the port the browser used
    return `${publicUrl.protocol}//localhost${port}${headers.req.url ?? '/'}`;
  };
}
