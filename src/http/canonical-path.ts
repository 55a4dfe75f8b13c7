// One spelling per path. Every router is case-sensitive and strict (src/http/router.ts), so a
// path matches a route only as it was registered; this check refuses, before any router or
// guard runs, the spellings a router could still decode into the same parameters: empty
// segments (`//`, a trailing slash), dot segments (`.`, `..`, also percent-encoded),
// backslashes (raw or encoded), control characters, percent-encoded characters that never need
// encoding (`%61` for `a`) and lower-case escapes (`%3a` beside `%3A`). A path that fails is an
// unknown URL (404), whatever the method and whoever asks.
//
// An encoded slash (`%2F`) inside a segment is data, not a separator: routers match the raw
// path, so it never moves a request to another route, and every path parameter is validated by
// its route (upstream ids allow no '/'). The official SDKs send model ids such as `org/model`
// that way (`/v1/models/org%2Fmodel`), and that is the one spelling of such a model's URL.

/** Unreserved characters (RFC 3986 §2.3): an escape of one of them is another spelling of it. */
const UNRESERVED = /^[A-Za-z0-9._~-]$/;
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const FORBIDDEN_DECODED = /[\\\u0000-\u001f\u007f]/;
const ESCAPE = /%(?![0-9A-F]{2})/;

/** Whether one path segment (between slashes, raw) is in its one canonical spelling. */
function canonicalSegment(raw: string): boolean {
  if (raw === '' || raw === '.' || raw === '..') return false;
  if (!raw.includes('%')) return !FORBIDDEN_DECODED.test(raw);
  if (ESCAPE.test(raw)) return false; // a bare '%', a short escape or lower-case hex
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return false; // not UTF-8
  }
  if (decoded === '.' || decoded === '..' || FORBIDDEN_DECODED.test(decoded)) return false;
  for (const m of raw.matchAll(/%([0-9A-F]{2})/g)) {
    if (UNRESERVED.test(String.fromCharCode(parseInt(m[1]!, 16)))) return false;
  }
  return true;
}

/** Whether a request path (without its query) is the one canonical spelling of itself. */
export function isCanonicalPath(path: string): boolean {
  if (path === '/') return true;
  if (path.charCodeAt(0) !== 0x2f) return false;
  let start = 1;
  for (;;) {
    const end = path.indexOf('/', start);
    if (!canonicalSegment(end === -1 ? path.slice(start) : path.slice(start, end))) return false;
    if (end === -1) return true;
    start = end + 1;
  }
}
