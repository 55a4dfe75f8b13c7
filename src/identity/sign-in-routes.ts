// /v1/auth/*: which sign-in methods exist, passkey sign-up and sign-in, passwords (when
// enabled), logout, and each OAuth provider's redirect and callback. Every route here is rate
// limited per client IP.
import Type from 'typebox';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { AppContext } from '../http/context.ts';
import { route, type Route } from '../http/route.ts';
import { authRateLimit } from './rate-limit.ts';
import type { PasskeyService } from './passkeys.ts';
import type { SessionCookie } from './session-cookie.ts';
import type { SessionService, SignInMethod } from './sessions.ts';
import { attemptSignIn, type CompleteSignIn } from './sign-in.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import type { OAuthTransactions } from './oauth-transaction.ts';
import { oauthRoutes } from './oauth-routes.ts';
import type { Pool } from '../db/pool.ts';
import type { PasswordService } from './passwords.ts';

export interface SignInRoutesDeps {
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

const SESSION = Type.Object({ object: Type.Literal('session'), user_id: Type.String() });
/** A WebAuthn response from the browser (checked by @simplewebauthn/server). */
const WEBAUTHN = Type.Object({ response: Type.Unknown() }, { additionalProperties: false });
const PASSWORD = Type.Object({ email: Type.String({ maxLength: 320 }), password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false });

/** The /v1/auth routes. */
export function signInRoutes(deps: SignInRoutesDeps): Route[] {
  const before = [authRateLimit(deps.db, deps.clock, deps.ratePerMinute)];
  const attempt = (ctx: AppContext, method: SignInMethod, verify: () => Promise<string>, extra?: { newAccount?: boolean }) =>
    attemptSignIn(deps, ctx, method, verify, extra);
  const routes: Route[] = [
    route({
      method: 'GET', path: '/v1/auth/providers', access: 'public', before,
      doc: { tag: 'sign-in', summary: 'Which sign-in methods are enabled', response: Type.Object({ google: Type.Boolean(), github: Type.Boolean(), password: Type.Boolean(), passkey: Type.Boolean() }) },
      handle(ctx) {
        ctx.body = { ...deps.providers, passkey: true };
      },
    }),
    route({
      method: 'POST', path: '/v1/auth/logout', access: 'public', before,
      body: { json: Type.Object({}, { additionalProperties: false }), optional: true },
      doc: { tag: 'sign-in', summary: 'End the current session (204)', status: 204 },
      async handle(ctx) {
        const token = deps.cookie.read(ctx);
        if (token) await deps.sessions.revokeToken(token);
        deps.cookie.clear(ctx);
        ctx.status = 204;
      },
    }),
    route({
      method: 'POST', path: '/v1/auth/passkey/register/options', access: 'public', before,
      body: { json: Type.Object({ display_name: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])) }, { additionalProperties: false }), optional: true },
      doc: { tag: 'sign-in', summary: 'WebAuthn registration options (passkey-first sign-up)' },
      async handle(ctx, { body }) {
        ctx.set('cache-control', 'no-store');
        ctx.body = await deps.passkeys.signUpOptions(body?.display_name ?? null);
      },
    }),
    route({
      method: 'POST', path: '/v1/auth/passkey/register/verify', access: 'public', before, body: { json: WEBAUTHN },
      doc: { tag: 'sign-in', summary: 'Verify a new passkey and sign in', response: SESSION },
      async handle(ctx, { body }) {
        const userId = await attempt(ctx, 'passkey', () => deps.passkeys.signUpVerify(body.response), { newAccount: true });
        ctx.body = { object: 'session', user_id: userId };
      },
    }),
    route({
      method: 'POST', path: '/v1/auth/passkey/login/options', access: 'public', before,
      body: { json: Type.Object({}, { additionalProperties: false }), optional: true },
      doc: { tag: 'sign-in', summary: 'WebAuthn authentication options (usernameless)' },
      async handle(ctx) {
        ctx.set('cache-control', 'no-store');
        ctx.body = await deps.passkeys.signInOptions();
      },
    }),
    route({
      method: 'POST', path: '/v1/auth/passkey/login/verify', access: 'public', before, body: { json: WEBAUTHN },
      doc: { tag: 'sign-in', summary: 'Verify a passkey assertion and sign in', response: SESSION },
      async handle(ctx, { body }) {
        const userId = await attempt(ctx, 'passkey', () => deps.passkeys.signInVerify(body.response));
        ctx.body = { object: 'session', user_id: userId };
      },
    }),
    ...deps.oauth.flatMap((provider) => oauthRoutes(provider, { ...deps, before })),
  ];
  const passwords = deps.passwords;
  if (passwords) {
    routes.push(
      // The same answer whether or not the email had an account (no session either way): the
      // client signs in next. See docs/security.md for what this can and cannot hide.
      route({
        method: 'POST', path: '/v1/auth/password/signup', access: 'public', before, body: { json: PASSWORD },
        doc: { tag: 'sign-in', summary: 'Email and password sign-up (AUTH_PASSWORD_ENABLED); the same answer whether or not the email has an account', status: 202, response: Type.Object({ object: Type.Literal('signup'), status: Type.Literal('accepted') }) },
        async handle(ctx, { body }) {
          const created = await passwords.signUp(body.email, body.password);
          if (created) {
            await deps.audit.recordBestEffort({ action: 'account.created', actorUserId: created, subjectUserId: created, clientIp: ctx.state.clientIp, details: { method: 'password' } });
          }
          ctx.status = 202;
          ctx.body = { object: 'signup', status: 'accepted' };
        },
      }),
      route({
        method: 'POST', path: '/v1/auth/password/login', access: 'public', before, body: { json: PASSWORD },
        doc: { tag: 'sign-in', summary: 'Email and password sign-in (AUTH_PASSWORD_ENABLED)', response: SESSION },
        async handle(ctx, { body }) {
          const userId = await attempt(ctx, 'password', () => passwords.signIn(body.email, body.password));
          ctx.body = { object: 'session', user_id: userId };
        },
      }),
    );
  }
  return routes;
}
