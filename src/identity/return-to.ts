// Where to send the browser after sign-in. The value is resolved against PUBLIC_URL first and
// only the result is judged and returned: an absolute URL on PUBLIC_URL's origin or on an origin
// in ALLOWED_ORIGINS, else PUBLIC_URL's root. Judging the raw value and returning a normalised
// one let `/.//evil.example` become the protocol-relative `//evil.example`; an absolute URL
// means exactly one thing to every browser.

/** Validates `return_to`; returns a safe absolute target. */
export function safeReturnTo(value: unknown, publicUrl: URL, allowedOrigins: readonly string[]): string {
  const fallback = new URL('/', publicUrl).href;
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback;
  // Control characters and backslashes are refused before parsing: parsers strip or reinterpret them.
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\\\u0000-\u001f\u007f\s]/.test(value)) return fallback;
  // Only a path (one leading '/') or an absolute http(s) URL; no scheme-relative or relative forms.
  if (!(value.startsWith('/') && !value.startsWith('//')) && !/^https?:\/\//i.test(value)) return fallback;
  let u: URL;
  try {
    u = new URL(value, publicUrl);
  } catch {
    return fallback;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return fallback;
  if (u.username !== '' || u.password !== '') return fallback;
  if (u.origin !== publicUrl.origin && !allowedOrigins.includes(u.origin)) return fallback;
  // The path the browser will ask for must not start with '//' either (harmless with an
  // absolute URL, but never worth keeping).
  if (u.pathname.startsWith('//')) return fallback;
  return u.href;
}
