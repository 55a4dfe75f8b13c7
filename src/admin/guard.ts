// The admin router's guard: hides the whole admin surface from everyone but admins. It runs as
// the admin router's own middleware, so it runs exactly when an admin route matched — it never
// looks at the path. Anonymous callers, bad credentials and non-admin users get the 404 of an
// unknown URL (not 401/403), and the admin router answers no 405 or OPTIONS of its own, so the
// surface's existence is not revealed.
import type { Queryable } from '../db/pool.ts';
import { AppError } from '../errors.ts';
import type { Authenticator } from '../http/authenticate.ts';
import type { AppContext, AppMiddleware } from '../http/context.ts';
import type { Principal } from '../shared/principal.ts';
import { findUserById } from '../identity/user-queries.ts';

/** The same error the error renderer gives an unmatched route. */
function unknownUrl(ctx: AppContext): AppError {
  return new AppError('not_found', `Unknown request URL: ${ctx.method} ${ctx.path}`);
}

/** Lets the request through only for an enabled admin (setting ctx.state.principal). */
export function adminGuard(deps: { authenticators: readonly Authenticator[]; db: Queryable }): AppMiddleware {
  async function identify(ctx: AppContext): Promise<Principal | null> {
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
    const principal = await identify(ctx);
    const user = principal ? await findUserById(deps.db, principal.userId) : null;
    if (!principal || !user?.is_admin || user.disabled_at) throw unknownUrl(ctx);
    ctx.state.principal = principal;
    return next();
  };
}
