// undici failures become AppErrors where they arise: timeouts -> 504, broken connections and
// unparsable answers -> 502. (A request we abort because the client left never reaches here:
// the client's sink hears nothing after abort.)
import { AppError } from '../errors.ts';

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
