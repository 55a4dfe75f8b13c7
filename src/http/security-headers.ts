// Security headers on every response; a strict CSP for HTML and a deny-all CSP otherwise.
import type { ServerResponse } from 'node:http';

/** The CSP of pages (text/html): the app's own scripts, styles and connections only. */
export const htmlCsp = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The security headers of an API response (HSTS on https, nosniff, frame denial, referrer and permissions policies, CSP). */
export interface SecurityHeaders {
  /** name, value, name, value, … (lower-case names): what Node's writeHead takes */
  readonly flat: readonly string[];
  /** sets them on a response */
  apply(res: ServerResponse): void;
}

/** The security headers for a server reached over https or not. */
export function apiSecurityHeaders(options: { https: boolean }): SecurityHeaders {
  const headers: Array<[string, string]> = [
    ...(options.https ? [['strict-transport-security', 'max-age=63072000; includeSubDomains'] as [string, string]] : []),
    ['x-content-type-options', 'nosniff'],
    ['x-frame-options', 'DENY'],
    ['referrer-policy', 'no-referrer'],
    ['permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()'],
    ['cross-origin-opener-policy', 'same-origin'],
    ['content-security-policy', API_CSP],
  ];
  return {
    flat: headers.flat(),
    apply(res) {
      for (const [name, value] of headers) res.setHeader(name, value);
    },
  };
}
