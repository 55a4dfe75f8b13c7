// CSRF defence for cookie-authenticated requests: an unsafe request that carries the session
// cookie (or targets /v1/auth/*, against login CSRF) must come from a listed origin. Bearer
// requests are exempt: a browser never attaches an Authorization header by itself.
import { AppError } from '../errors.ts';
import type { AppMiddleware } from './context.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Rejects cross-site unsafe requests with 403 csrf_rejected. */
export function csrfProtection(options: { allowedOrigins: ReadonlySet<string>; cookieName: string }): AppMiddleware {
  const cookiePattern = new RegExp(`(?:^|;)\\s*${options.cookieName.replace(/[^A-Za-z0-9_]/g, '\\$&')}=`);
  return async (ctx, next) => {
    if (SAFE.has(ctx.method) || ctx.get('authorization')) return next();
    const hasCookie = cookiePattern.test(ctx.get('cookie'));
    if (!hasCookie && !ctx.path.startsWith('/v1/auth/')) return next();
    const origin = ctx.get('origin');
    const sameSite = ctx.get('sec-fetch-site') === 'same-origin';
    if (origin ? !options.allowedOrigins.has(origin) : !sameSite) {
      throw new AppError('csrf_rejected', 'Cross-site request rejected: the Origin of this request is not allowed.');
    }
    return next();
  };
}
