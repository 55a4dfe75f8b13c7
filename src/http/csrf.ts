// CSRF defence, by method and credential — never by path. Every unsafe request that does not
// carry an Authorization header (which a browser never attaches by itself) must come from a
// listed origin: its Origin header, when present, must be allowed; without one, a browser's
// Sec-Fetch-Site must say same-origin, and a request with neither header may not carry the
// session cookie (it is then not a browser's, and has no ambient credential to abuse). This
// covers login CSRF on the sign-in routes and every cookie-authenticated route alike.
import { AppError } from '../errors.ts';
import { readCookie } from './cookies.ts';
import type { HeaderSource } from './exchange.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses (throws 403 csrf_rejected) a cross-site unsafe request. */
export type CsrfCheck = (method: string, headers: HeaderSource) => void;

function rejected(): AppError {
  return new AppError('csrf_rejected', 'Cross-site request rejected: the Origin of this request is not allowed.');
}

/** The CSRF check for the allowed origins and the session cookie's name. */
export function csrfCheck(options: { allowedOrigins: ReadonlySet<string>; cookieName: string }): CsrfCheck {
  return (method, headers) => {
    if (SAFE.has(method) || headers.get('authorization')) return;
    const origin = headers.get('origin');
    if (origin) {
      if (!options.allowedOrigins.has(origin)) throw rejected();
      return;
    }
    const site = headers.get('sec-fetch-site');
    if (site) {
      if (site !== 'same-origin') throw rejected();
      return;
    }
    if (readCookie(headers, options.cookieName) !== null) throw rejected();
  };
}
