// Same-origin JSON calls to Cloister. Authentication is the HttpOnly session cookie the browser
// sends by itself: the app never sees or stores a token.

/** An OpenAI-shaped API error, with what the UI needs to explain it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly type: string | null;
  /** seconds to wait before retrying, from retry-after / retry-after-ms / x-ratelimit-reset-* */
  readonly retryAfterSeconds: number | null;

  constructor(status: number, message: string, code: string | null, type: string | null, retryAfterSeconds: number | null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.type = type;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** Reads the seconds to wait from the standard rate-limit headers, if any. */
export function retryAfterFrom(headers: Headers): number | null {
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return Math.ceil(ms / 1000);
  const ra = headers.get('retry-after');
  if (ra) {
    const s = Number(ra);
    if (Number.isFinite(s)) return Math.max(0, Math.ceil(s));
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }
  return null;
}

/** Turns a non-2xx response into an ApiError (the body is consumed). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`.trim();
  let code: string | null = null;
  let type: string | null = null;
  try {
    const body = await res.json() as { error?: { message?: string; code?: string; type?: string } };
    if (body.error?.message) message = body.error.message;
    code = body.error?.code ?? null;
    type = body.error?.type ?? null;
  } catch { /* not JSON: keep the status line */ }
  return new ApiError(res.status, message, code, type, retryAfterFrom(res.headers));
}

/** JSON request to Cloister; throws ApiError on non-2xx. `undefined` for 204. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  const res = await fetch(path, { method: init.method ?? 'GET', headers, body, signal: init.signal, credentials: 'same-origin', cache: 'no-store' });
  if (!res.ok) throw await errorFromResponse(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}
