// CSRF defence for cookie-authenticated requests: an unsafe request that carries the session
// cookie (or targets /v1/auth/*, against login CSRF) must come from a listed origin. Bearer
// requests are exempt: a browser never attaches an Authorization header by itself.
import { AppError } from '../errors.ts';
import type { AppMiddleware } from './context.ts';
import type { HeaderSource } from './request-io.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses (throws 403 csrf_rejected) a cross-site unsafe request. */
export type CsrfCheck = (method: string, path: string, headers: HeaderSource) => void;

/** The CSRF check for the allowed origins and the session cookie's name. */
export function csrfCheck(options: { allowedOrigins: ReadonlySet<string>; cookieName: string }): CsrfCheck {
  const cookiePattern = new RegExp(`(?:^|;)\\s*${options.cookieName.replace(/[^A-Za-z0-9_]/g, '\\$&')}=`);
  return (method, path, headers) => {
    if (SAFE.has(method) || headers.get('authorization')) return;
    const hasCookie = cookiePattern.test(headers.get('cookie'));
    if (!hasCookie && !path.startsWith('/v1/auth/')) return;
    const origin = headers.get('origin');
    const sameSite = headers.get('sec-fetch-site') === 'same-origin';
    if (origin ? !options.allowedOrigins.has(origin) : !sameSite) {
      throw new AppError('csrf_rejected', 'Cross-site request rejected: the Origin of this request is not allowed.');
    }
  };
}

/** Rejects cross-site unsafe requests with 403 csrf_rejected. */
export function csrfProtection(check: CsrfCheck): AppMiddleware {
  return (ctx, next) => {
    check(ctx.method, ctx.path, ctx);
    return next();
  };
}
