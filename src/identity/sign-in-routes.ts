// /v1/auth/*: which sign-in methods exist, passkey sign-up and sign-in, logout. OAuth
// providers mount their own routes under the same prefix. Every route here is rate limited
// per client IP.
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { AppContext, AppState } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { authRateLimit } from './rate-limit.ts';
import type { PasskeyService } from './passkeys.ts';
import type { SessionCookie } from './session-cookie.ts';
import type { SessionService, SignInMethod } from './sessions.ts';
import { attemptSignIn, type CompleteSignIn } from './sign-in.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import type { OAuthTransactions } from './oauth-transaction.ts';
import { addOAuthRoutes } from './oauth-routes.ts';
import type { Pool } from '../db/pool.ts';
import type { PasswordService } from './passwords.ts';

export interface AuthRouterDeps {
  readonly db: Queryable & Pool;
  readonly publicUrl: URL;
  readonly allowedOrigins: readonly string[];
  readonly oauth: readonly OAuthProvider[];
  readonly transactions: OAuthTransactions;
  /** null unless AUTH_PASSWORD_ENABLED */
  readonly passwords: PasswordService | null;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ratePerMinute: number;
  readonly providers: { google: boolean; github: boolean; password: boolean };
  readonly passkeys: PasskeyService;
  readonly sessions: SessionService;
  readonly cookie: SessionCookie;
  readonly completeSignIn: CompleteSignIn;
  readonly audit: AuditLog;
}

const SMALL_BODY = jsonBody({ limitBytes: 64 * 1024, optional: true });

/** The /v1/auth router. */
export function createAuthRouter(deps: AuthRouterDeps): Router<AppState> {
  const router = createRouter({ prefix: '/v1/auth' });
  router.use(authRateLimit(deps.db, deps.clock, deps.ratePerMinute));

  const attempt = (ctx: AppContext, method: SignInMethod, verify: () => Promise<string>, extra?: { newAccount?: boolean }) =>
    attemptSignIn(deps, ctx, method, verify, extra);

  router.get('/providers', (ctx) => {
    ctx.body = { ...deps.providers, passkey: true };
  });

  router.post('/logout', SMALL_BODY, async (ctx) => {
    const token = deps.cookie.read(ctx);
    if (token) await deps.sessions.revokeToken(token);
    deps.cookie.clear(ctx);
    ctx.status = 204;
  });

  router.post('/passkey/register/options', SMALL_BODY, async (ctx) => {
    const body = (ctx.state.json ?? {}) as { display_name?: unknown };
    ctx.set('cache-control', 'no-store');
    ctx.body = await deps.passkeys.signUpOptions(body.display_name ?? null);
  });
  router.post('/passkey/register/verify', SMALL_BODY, async (ctx) => {
    const userId = await attempt(ctx, 'passkey', () => deps.passkeys.signUpVerify((ctx.state.json as { response?: unknown } | undefined)?.response), { newAccount: true });
    ctx.body = { object: 'session', user_id: userId };
  });
  router.post('/passkey/login/options', SMALL_BODY, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await deps.passkeys.signInOptions();
  });
  router.post('/passkey/login/verify', SMALL_BODY, async (ctx) => {
    const userId = await attempt(ctx, 'passkey', () => deps.passkeys.signInVerify((ctx.state.json as { response?: unknown } | undefined)?.response));
    ctx.body = { object: 'session', user_id: userId };
  });
  for (const provider of deps.oauth) addOAuthRoutes(router, provider, deps);
  const passwords = deps.passwords;
  if (passwords) {
    // The same answer whether or not the email had an account (no session either way): the
    // client signs in next. See docs/security.md for what this can and cannot hide.
    router.post('/password/signup', SMALL_BODY, async (ctx) => {
      const b = (ctx.state.json ?? {}) as { email?: unknown; password?: unknown };
      const created = await passwords.signUp(b.email, b.password);
      if (created) {
        await deps.audit.recordBestEffort({ action: 'account.created', actorUserId: created, subjectUserId: created, clientIp: ctx.state.clientIp, details: { method: 'password' } });
      }
      ctx.status = 202;
      ctx.body = { object: 'signup', status: 'accepted' };
    });
    router.post('/password/login', SMALL_BODY, async (ctx) => {
      const b = (ctx.state.json ?? {}) as { email?: unknown; password?: unknown };
      const userId = await attempt(ctx, 'password', () => passwords.signIn(b.email, b.password));
      ctx.body = { object: 'session', user_id: userId };
    });
  }
  return router;
}
