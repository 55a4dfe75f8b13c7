// Where to send the browser after sign-in: a same-origin path, or a URL on an origin in
// ALLOWED_ORIGINS. Anything else (other hosts, protocol-relative `//evil`, backslashes,
// javascript:) falls back to `/`.

/** Validates `return_to`; returns a safe target. */
export function safeReturnTo(value: unknown, publicUrl: URL, allowedOrigins: readonly string[]): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return '/';
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\\\u0000-\u001f\u007f]/.test(value)) return '/';
  if (value.startsWith('/') && !value.startsWith('//')) {
    const u = new URL(value, publicUrl);
    return u.origin === publicUrl.origin ? u.pathname + u.search + u.hash : '/';
  }
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return '/';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return '/';
  if (u.origin === publicUrl.origin || allowedOrigins.includes(u.origin)) return u.href;
  return '/';
}
