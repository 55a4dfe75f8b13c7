// GET /v1/auth/{provider}?return_to=… → 302 to the provider; GET /v1/auth/{provider}/callback
// → session cookie + 302 to return_to. Codes and tokens never reach a URL we emit or a log.
import * as client from 'openid-client';
import Type from 'typebox';
import type { Pool } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { AppContext, AppMiddleware } from '../http/context.ts';
import { route, type Route } from '../http/route.ts';
import type { Logger } from '../log.ts';
import type { OAuthProvider } from './oauth-providers.ts';
import type { OAuthTransactions } from './oauth-transaction.ts';
import { resolveIdentity } from './oauth-accounts.ts';
import { safeReturnTo } from './return-to.ts';
import type { SessionCookie } from './session-cookie.ts';
import type { SessionService } from './sessions.ts';
import { attemptSignIn, type CompleteSignIn } from './sign-in.ts';
import type { AuditLog } from '../audit/audit-log.ts';

/** What a provider sends to its callback: its own parameters, whatever they are (read by openid-client). */
const CALLBACK_QUERY = Type.Object({}, { additionalProperties: Type.String({ maxLength: 8192 }) });

/** The redirect and callback routes of `provider`. */
export function oauthRoutes(provider: OAuthProvider, deps: {
  db: Pool; clock: Clock; logger: Logger; publicUrl: URL; allowedOrigins: readonly string[]; transactions: OAuthTransactions;
  cookie: SessionCookie; sessions: SessionService; completeSignIn: CompleteSignIn; audit: AuditLog; before: readonly AppMiddleware[];
}): Route[] {
  const redirectUri = new URL(`/v1/auth/${provider.name}/callback`, deps.publicUrl).href;
  const label = provider.name === 'github' ? 'GitHub' : 'Google';
  const start = route({
    method: 'GET', path: `/v1/auth/${provider.name}`, access: 'public', before: deps.before,
    query: Type.Object({ return_to: Type.Optional(Type.String({ maxLength: 2048 })) }, { additionalProperties: false }),
    doc: { tag: 'sign-in', summary: `Start ${label} sign-in (302; PKCE, state${provider.name === 'google' ? ', nonce' : ''})`, status: 302 },
    handle: (ctx, { query }) => begin(ctx, query.return_to),
  });
  const done = route({
    method: 'GET', path: `/v1/auth/${provider.name}/callback`, access: 'public', before: deps.before, query: CALLBACK_QUERY,
    doc: { tag: 'sign-in', summary: `${label} redirect target: sets the session cookie, 302 to return_to`, status: 302 },
    handle: (ctx) => finish(ctx),
  });

  async function begin(ctx: AppContext, returnToParam: string | undefined): Promise<void> {
    const state = client.randomState();
    const nonce = client.randomNonce();
    const verifier = client.randomPKCECodeVerifier();
    const url = await provider.authorizationUrl({ redirectUri, state, nonce, codeChallenge: await client.calculatePKCECodeChallenge(verifier) });
    const returnTo = safeReturnTo(returnToParam, deps.publicUrl, deps.allowedOrigins);
    await deps.transactions.begin(ctx, { provider: provider.name, state, nonce, verifier, returnTo });
    ctx.set('cache-control', 'no-store');
    ctx.redirect(url.href);
  }

  async function finish(ctx: AppContext): Promise<void> {
    ctx.set('cache-control', 'no-store');
    try {
      await callback(ctx);
    } catch (e) {
      // A person is looking at this: back to the sign-in page with a reason code (never the
      // provider's text), rather than a JSON error body.
      const code = e instanceof AppError ? e.code : 'internal_error';
      if (e instanceof AppError && e.status >= 500) deps.logger.warn({ event: 'auth.oauth_failed', request_id: ctx.state.requestId, provider: provider.name, code });
      else if (!(e instanceof AppError)) throw e;
      ctx.status = 302;
      ctx.redirect(`/login?error=${encodeURIComponent(code)}`);
    }
  }

  async function callback(ctx: AppContext): Promise<void> {
    let returnTo = '/';
    await attemptSignIn(deps, ctx, provider.name, async () => {
      const verified = await verify(ctx);
      returnTo = verified.returnTo;
      return verified.userId;
    });
    ctx.redirect(returnTo);
  }

  async function verify(ctx: AppContext): Promise<{ userId: string; returnTo: string }> {
    const tx = await deps.transactions.finish(ctx, provider.name);
    if (typeof ctx.query.error === 'string') throw new AppError('invalid_request', 'Sign-in was cancelled or refused at the provider.');
    // The URL the provider redirected to, as the provider saw it (PUBLIC_URL, not our socket).
    const callbackUrl = new URL(redirectUri);
    callbackUrl.search = ctx.querystring;
    const identity = await provider.identify(callbackUrl, tx);
    const token = deps.cookie.read(ctx);
    const signedIn = token ? await deps.sessions.authenticate(token) : null;
    const userId = await resolveIdentity(deps.db, deps.clock, identity, signedIn?.userId ?? null);
    return { userId, returnTo: tx.returnTo };
  }

  return [start, done];
}
