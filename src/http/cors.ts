// CORS. Listed origins (ALLOWED_ORIGINS and PUBLIC_URL's) may send credentials; any other
// origin may call with a bearer key but never with cookies (`*`, no credentials).
import type { AppMiddleware } from './context.ts';

const EXPOSED = [
  'x-request-id', 'retry-after', 'openai-processing-ms', 'openai-version',
  'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens',
].join(', ');

/** Handles preflights and sets CORS response headers. */
export function cors(listed: ReadonlySet<string>): AppMiddleware {
  return async (ctx, next) => {
    const origin = ctx.get('origin');
    if (!origin) return next();
    const credentialed = listed.has(origin);
    ctx.vary('Origin');
    ctx.set('access-control-allow-origin', credentialed ? origin : '*');
    if (credentialed) ctx.set('access-control-allow-credentials', 'true');
    ctx.set('access-control-expose-headers', EXPOSED);
    if (ctx.method === 'OPTIONS' && ctx.get('access-control-request-method')) {
      ctx.set('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
      const requested = ctx.get('access-control-request-headers');
      // Only header names are reflected; browsers still withhold cookies for unlisted origins.
      if (/^[A-Za-z0-9 ,_-]{0,2000}$/.test(requested)) ctx.set('access-control-allow-headers', requested || 'authorization, content-type');
      ctx.set('access-control-max-age', '600');
      ctx.status = 204;
      return;
    }
    await next();
  };
}
