// Session cookies authenticate /v1/* like API keys do. A cookie the server did not issue (or
// one that expired or was revoked) is simply not a principal: no fixation, no error.
import type { Authenticator } from '../http/authenticate.ts';
import type { SessionCookie } from './session-cookie.ts';
import type { SessionService } from './sessions.ts';

/** An authenticator reading the session cookie. */
export function sessionAuthenticator(cookie: SessionCookie, sessions: SessionService): Authenticator {
  return async (headers) => {
    const token = cookie.read(headers);
    if (!token) return null;
    return sessions.authenticate(token);
  };
}
