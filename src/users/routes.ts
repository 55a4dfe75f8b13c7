// /v1/users/me: the signed-in user's own profile.
import Router from '@koa/router';
import { AppError } from '../errors.ts';
import type { AppMiddleware, AppState } from '../http/context.ts';
import type { UserService } from './service.ts';
import { findUserById } from './queries.ts';
import type { Queryable } from '../db/pool.ts';

/** Profile routes; `auth` must set ctx.state.principal. */
export function createUsersRouter(deps: { db: Queryable; users: UserService; auth: AppMiddleware }): Router<AppState> {
  const router = new Router<AppState>({ prefix: '/v1/users' });
  router.get('/me', deps.auth, async (ctx) => {
    const user = await findUserById(deps.db, ctx.state.principal!.userId);
    if (!user) throw new AppError('not_found', 'Not found.');
    ctx.body = {
      object: 'user',
      id: user.id,
      email: user.email,
      email_verified: user.email_verified,
      display_name: user.display_name,
      is_admin: user.is_admin,
      created_at: Math.floor(user.created_at.getTime() / 1000),
    };
  });
  return router;
}
