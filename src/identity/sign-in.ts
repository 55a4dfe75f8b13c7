// Finishing a sign-in, whatever the method: refuse disabled accounts, apply ADMIN_EMAILS,
// rotate the session (the cookie the browser arrived with is revoked, never reused) and set
// the new cookie; and record the outcome in the audit log (best effort: an audit failure never
// blocks a sign-in).
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { AppError, isAppError } from '../errors.ts';
import type { AppContext } from '../http/context.ts';
import { findUserById, setAdmin, touchUserActive } from './user-queries.ts';
import type { SessionCookie } from './session-cookie.ts';
import type { SessionService, SignInMethod } from './sessions.ts';
import type { AuditLog } from '../audit/audit-log.ts';

export type CompleteSignIn = (ctx: AppContext, userId: string, method: SignInMethod, extra?: { newAccount?: boolean }) => Promise<void>;

/** Records a failed sign-in: the method and a reason code only — never what was typed or presented. */
function recordSignInFailure(audit: AuditLog, ctx: AppContext, method: SignInMethod, error: unknown, subjectUserId: string | null = null): Promise<void> {
  return audit.recordBestEffort({
    action: 'sign_in.failed', actorUserId: null, subjectUserId, clientIp: ctx.state.clientIp,
    details: { method, reason: isAppError(error) ? error.code : 'internal_error' },
  });
}

/**
 * Verifies the presented credentials (`verify` resolves to the user id), then completes the
 * sign-in. A refusal at verification is audited here; completeSignIn audits the rest.
 */
export async function attemptSignIn(
  deps: { audit: AuditLog; completeSignIn: CompleteSignIn }, ctx: AppContext, method: SignInMethod,
  verify: () => Promise<string>, extra?: { newAccount?: boolean },
): Promise<string> {
  let userId: string;
  try {
    userId = await verify();
  } catch (e) {
    await recordSignInFailure(deps.audit, ctx, method, e);
    throw e;
  }
  await deps.completeSignIn(ctx, userId, method, extra);
  return userId;
}

/** Builds the function every sign-in route calls once the user is known. */
export function signInCompleter(deps: {
  db: Queryable; clock: Clock; logger: Logger; cookie: SessionCookie; sessions: SessionService; adminEmails: readonly string[]; audit: AuditLog;
}): CompleteSignIn {
  return async (ctx, userId, method, extra = {}) => {
    const user = await findUserById(deps.db, userId);
    if (!user || user.disabled_at) {
      const refused = new AppError('forbidden', 'This account is disabled.');
      await recordSignInFailure(deps.audit, ctx, method, refused, user ? user.id : null);
      throw refused;
    }
    if (!user.is_admin && user.email_verified && user.email && deps.adminEmails.includes(user.email.toLowerCase())) {
      await setAdmin(deps.db, user.id, true);
    }
    const { token } = await deps.sessions.create(user.id, method, deps.cookie.read(ctx));
    await touchUserActive(deps.db, user.id, deps.clock.now());
    deps.cookie.set(ctx, token);
    deps.logger.info({ event: 'auth.signed_in', request_id: ctx.state.requestId, user_id: user.id, method });
    await deps.audit.recordBestEffort({
      action: 'sign_in.succeeded', actorUserId: user.id, subjectUserId: user.id, clientIp: ctx.state.clientIp,
      details: extra.newAccount ? { method, new_account: true } : { method },
    });
  };
}
