// Security headers on every response; a strict CSP for HTML and a deny-all CSP otherwise.
import type { AppMiddleware } from './context.ts';

const HTML_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Adds HSTS (on https), nosniff, frame denial, referrer and permissions policies, and CSP. */
export function securityHeaders(options: { https: boolean }): AppMiddleware {
  const headers: Array<[string, string]> = [
    ...(options.https ? [['strict-transport-security', 'max-age=63072000; includeSubDomains'] as [string, string]] : []),
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'no-referrer'],
    ['permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()'],
    ['cross-origin-opener-policy', 'same-origin'],
    ['content-security-policy', API_CSP],
  ];
  return async (ctx, next) => {
    // Set before the route runs: streamed responses write their head themselves.
    const res = ctx.res;
    for (const [name, value] of headers) res.setHeader(name, value);
    try {
      await next();
    } finally {
      const html = /text\/html/.test(String(ctx.response.get('content-type')));
      if (html && !ctx.headerSent && ctx.response.get('content-security-policy') === API_CSP) ctx.set('content-security-policy', HTML_CSP);
    }
  };
}
