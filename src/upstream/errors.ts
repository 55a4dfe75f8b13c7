// undici failures become AppErrors where they arise: timeouts -> 504, broken connections and
// unparsable answers -> 502. A request we aborted because the client left is not an error.
import { AppError } from '../errors.ts';

/** Whether the failure is our own abort (the client went away). */
export function isAbort(e: unknown): boolean {
  const code = (e as { code?: string; name?: string })?.code;
  const name = (e as { name?: string })?.name;
  return code === 'UND_ERR_ABORTED' || code === 'UND_ERR_ABORT' || name === 'AbortError';
}

/** Translates an undici error into the AppError the client sees. */
export function translateUpstreamError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  const code = (e as { code?: string })?.code ?? '';
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new AppError('upstream_timeout', 'upstream timeout', { cause: e });
    default:
      return new AppError('upstream_error', 'upstream failure', { cause: e });
  }
}
