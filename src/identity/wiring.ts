// Builds everything sign-in needs from the app's services, so app.ts wires it in a few lines:
// the session authenticator, the CSRF middleware, and the /v1/auth, /login and
// /v1/users/me routers' dependencies.
import type { Config } from '../config.ts';
import type { Pool } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Authenticator } from '../http/authenticate.ts';
import type { Route } from '../http/route.ts';
import { csrfCheck, type CsrfCheck } from '../http/csrf.ts';
import type { ApiKeyService } from './api-keys.ts';
import { createSessionService, type SessionService } from './sessions.ts';
import { sessionCookie, type SessionCookie } from './session-cookie.ts';
import { sessionAuthenticator } from './session-authenticator.ts';
import { createPasskeyService, type PasskeyService } from './passkeys.ts';
import type { ModelPolicy } from '../shared/model-policy.ts';
import { sealingKeyFor, type SealingKey } from '../shared/sealing.ts';
import { createOAuthTransactions } from './oauth-transaction.ts';
import { createPasswordService } from './passwords.ts';
import { googleProvider, githubProvider, type OAuthProvider } from './oauth-providers.ts';
import { signInCompleter } from './sign-in.ts';
import { signInRoutes } from './sign-in-routes.ts';
import { loginPageRoutes } from './login-page.ts';
import { createAccountService, type AccountService, type DeleteUserObjects } from './account.ts';
import type { AuditLog } from '../audit/audit-log.ts';

export interface SignIn {
  readonly authenticator: Authenticator;
  /** the frame's CSRF step (it knows the session cookie's name) */
  readonly csrfCheck: CsrfCheck;
  readonly cookie: SessionCookie;
  readonly sessions: SessionService;
  readonly passkeys: PasskeyService;
  readonly account: AccountService;
  readonly sealing: SealingKey;
  /** /v1/auth/* and /login */
  readonly routes: Route[];
}

/** Wires sessions, passkeys, OAuth providers and account self-service. */
export function createSignIn(deps: {
  config: Config; db: Pool; clock: Clock; logger: Logger; apiKeys: ApiKeyService; sessionSecret: Uint8Array;
  deleteUserObjects: DeleteUserObjects; audit: AuditLog;
  /** the models a default_model setting may name */
  models: ModelPolicy;
}): SignIn {
  const { config, db, clock, logger } = deps;
  const publicUrl = config.server.publicUrl;
  const cookie = sessionCookie(publicUrl, config.auth.sessionAbsoluteMs);
  const sessions = createSessionService(db, clock, { idleMs: config.auth.sessionIdleMs, absoluteMs: config.auth.sessionAbsoluteMs, perUser: config.auth.sessionsPerUser });
  const passkeys = createPasskeyService({ pool: db, clock, publicUrl });
  const sealing = sealingKeyFor(deps.sessionSecret, 'settings');
  const account = createAccountService({ db, clock, logger, sealing, sessions, apiKeys: deps.apiKeys, deleteUserObjects: deps.deleteUserObjects, models: deps.models });
  const completeSignIn = signInCompleter({ db, clock, logger, cookie, sessions, adminEmails: config.auth.adminEmails, audit: deps.audit });
  const allowedOrigins = new Set([publicUrl.origin, ...config.server.allowedOrigins]);
  const oauth: OAuthProvider[] = [];
  if (config.auth.google) oauth.push(googleProvider(config.auth.google));
  if (config.auth.github) oauth.push(githubProvider(config.auth.github));
  // A key of its own, so a transaction cookie can never be opened as settings or vice versa.
  const transactionKey = sealingKeyFor(deps.sessionSecret, 'oauth-transaction');
  const transactions = createOAuthTransactions({ db, clock, sealing: transactionKey, secure: publicUrl.protocol === 'https:' });
  const authRoutes = signInRoutes({
    publicUrl, allowedOrigins: config.server.allowedOrigins, oauth, transactions,
    passwords: config.auth.passwordEnabled ? createPasswordService(db, clock) : null,
    db, clock, logger, ratePerMinute: config.auth.authRatePerMinute,
    providers: { google: config.auth.google !== null, github: config.auth.github !== null, password: config.auth.passwordEnabled },
    passkeys, sessions, cookie, completeSignIn, audit: deps.audit,
  });
  const csrf = csrfCheck({ allowedOrigins, cookieName: cookie.name });
  return {
    authenticator: sessionAuthenticator(cookie, sessions),
    csrfCheck: csrf,
    cookie, sessions, passkeys, account, sealing,
    routes: [...authRoutes, ...loginPageRoutes()],
  };
}
