// Hides the whole /v1/admin surface from everyone but admins: anonymous callers, bad
// credentials and non-admin users get exactly the 404 of an unknown URL (not 401/403, and not
// 405 for a wrong method), so the surface's existence is not revealed.
import type { Queryable } from '../db/pool.ts';
import { AppError } from '../errors.ts';
import type { Authenticator } from '../http/authenticate.ts';
import type { AppContext, AppMiddleware } from '../http/context.ts';
import type { Principal } from '../auth/api-keys.ts';
import { findUserById } from '../users/queries.ts';

export const ADMIN_PREFIX = '/v1/admin';

/** The same error the error renderer gives an unmatched route. */
function unknownUrl(ctx: AppContext): AppError {
  return new AppError('not_found', `Unknown request URL: ${ctx.method} ${ctx.path}`);
}

/** Lets a request under /v1/admin through only for an admin (setting ctx.state.principal); other paths pass. */
export function adminGuard(deps: { authenticators: readonly Authenticator[]; db: Queryable }): AppMiddleware {
  const admitted = new WeakSet<object>();
  async function identify(ctx: AppContext): Promise<Principal | null> {
    if (ctx.state.principal) return ctx.state.principal;
    for (const a of deps.authenticators) {
      try {
        const p = await a(ctx);
        if (p) return p;
      } catch {
        return null; // a malformed or wrong credential is just "not an admin" here
      }
    }
    return null;
  }
  return async (ctx, next) => {
    if (ctx.path !== ADMIN_PREFIX && !ctx.path.startsWith(`${ADMIN_PREFIX}/`)) return next();
    if (!admitted.has(ctx)) {
      const principal = await identify(ctx);
      const user = principal ? await findUserById(deps.db, principal.userId) : null;
      if (!principal || !user?.is_admin || user.disabled_at) throw unknownUrl(ctx);
      ctx.state.principal = principal;
      admitted.add(ctx);
    }
    return next();
  };
}
