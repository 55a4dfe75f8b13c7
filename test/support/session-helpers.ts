// Helpers for tests that need a signed-in browser: a session opened straight in the shared
// test database (the same service the app uses), and cookie-carrying requests.
import { createSessionService } from '../../src/identity/sessions.ts';
import type { TestApp } from './test-app.ts';

/** Opens a session for `userId` and returns the Cookie header value. */
export async function sessionCookieFor(t: TestApp, userId: string): Promise<string> {
  const { config, database, clock } = t.app.services;
  const sessions = createSessionService(database.pool, clock, { idleMs: config.auth.sessionIdleMs, absoluteMs: config.auth.sessionAbsoluteMs, perUser: config.auth.sessionsPerUser });
  const { token } = await sessions.create(userId, 'passkey');
  return `${config.server.publicUrl.protocol === 'https:' ? '__Host-cloister_session' : 'cloister_session'}=${token}`;
}

/** The `name=value` of the session cookie a response sets, or null. */
export function setSessionCookie(res: Response): string | null {
  for (const c of res.headers.getSetCookie()) {
    const m = /^((?:__Host-)?cloister_session=[^;]*)/.exec(c);
    if (m && !/Max-Age=0/.test(c)) return m[1]!;
  }
  return null;
}
