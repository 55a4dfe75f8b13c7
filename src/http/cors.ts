// CORS. Listed origins (ALLOWED_ORIGINS and PUBLIC_URL's) may send credentials; any other
// origin may call with a bearer key but never with cookies (`*`, no credentials).
import type { HeaderSource } from './exchange.ts';

const EXPOSED = [
  'x-request-id', 'retry-after', 'retry-after-ms', 'openai-processing-ms', 'openai-version',
  'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens',
].join(', ');

/** The CORS headers of an actual (non-preflight) response to a request from `origin` (besides `Vary: Origin`). */
export type CorsHeaders = (origin: string) => ReadonlyArray<readonly [string, string]>;

/** CORS response headers for the listed origins. */
export function corsHeaders(listed: ReadonlySet<string>): CorsHeaders {
  const forOthers = [['access-control-allow-origin', '*'], ['access-control-expose-headers', EXPOSED]] as const;
  return (origin) => (listed.has(origin)
    ? [['access-control-allow-origin', origin], ['access-control-allow-credentials', 'true'], ['access-control-expose-headers', EXPOSED]]
    : forOthers);
}

/** Sets a preflight's answer headers (the frame answers it with 204). */
export function preflight(ex: HeaderSource & { set(name: string, value: string): void }): void {
  ex.set('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
  const requested = ex.get('access-control-request-headers');
  // Only header names are reflected; browsers still withhold cookies for unlisted origins.
  if (/^[A-Za-z0-9 ,_-]{0,2000}$/.test(requested)) ex.set('access-control-allow-headers', requested || 'authorization, content-type');
  ex.set('access-control-max-age', '600');
}
