// Finishing a sign-in, whatever the method: refuse disabled accounts, apply ADMIN_EMAILS,
// rotate the session (the cookie the browser arrived with is revoked, never reused) and set
// the new cookie.
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { AppError } from '../errors.ts';
import type { AppContext } from '../http/context.ts';
import { findUserById, setAdmin, touchUserActive } from '../users/queries.ts';
import type { SessionCookie } from './session-cookie.ts';
import type { SessionService, SignInMethod } from './sessions.ts';

export type CompleteSignIn = (ctx: AppContext, userId: string, method: SignInMethod) => Promise<void>;

/** Builds the function every sign-in route calls once the user is known. */
export function signInCompleter(deps: { db: Queryable; clock: Clock; logger: Logger; cookie: SessionCookie; sessions: SessionService; adminEmails: readonly string[] }): CompleteSignIn {
  return async (ctx, userId, method) => {
    const user = await findUserById(deps.db, userId);
    if (!user || user.disabled_at) throw new AppError('forbidden', 'This account is disabled.');
    if (!user.is_admin && user.email_verified && user.email && deps.adminEmails.includes(user.email.toLowerCase())) {
      await setAdmin(deps.db, user.id, true);
    }
    const { token } = await deps.sessions.create(user.id, method, deps.cookie.read(ctx));
    await touchUserActive(deps.db, user.id, deps.clock.now());
    deps.cookie.set(ctx, token);
    deps.logger.info({ event: 'auth.signed_in', request_id: ctx.state.requestId, user_id: user.id, method });
  };
}
