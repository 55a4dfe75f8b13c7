// The two OAuth providers behind one interface. Google is OpenID Connect with discovery
// (GOOGLE_ISSUER); GitHub is plain OAuth 2 with hand-configured endpoints and its REST API
// for the profile and the verified primary email. Both use state + PKCE S256 (Google also a
// nonce). Provider tokens are used once here and never stored or logged.
import * as client from 'openid-client';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { ExternalIdentity } from './oauth-accounts.ts';
import type { OAuthTransaction } from './oauth-transaction.ts';

export interface OAuthProvider {
  readonly name: 'google' | 'github';
  authorizationUrl(p: { redirectUri: string; state: string; nonce: string; codeChallenge: string }): Promise<URL>;
  /** exchanges the code from `callbackUrl` and returns the verified identity; throws AppError */
  identify(callbackUrl: URL, tx: OAuthTransaction): Promise<ExternalIdentity>;
}

/** Translates openid-client and network failures; the provider's messages are not echoed. */
function translate(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e instanceof TypeError) {
    return new AppError('identity_provider_error', 'The sign-in provider could not be reached.', { cause: e });
  }
  return new AppError('invalid_request', 'Sign-in with the provider failed; start again.', { cause: e });
}

const insecureIfHttp = (url: string) => (url.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : undefined);

/** Google (or any OpenID provider at GOOGLE_ISSUER). */
export function googleProvider(cfg: NonNullable<Config['auth']['google']>): OAuthProvider {
  let configuration: Promise<client.Configuration> | null = null;
  const getConfiguration = () => {
    configuration ??= client.discovery(new URL(cfg.issuer), cfg.clientId, cfg.clientSecret, undefined, insecureIfHttp(cfg.issuer))
      .catch((e: unknown) => {
        configuration = null; // retry discovery on the next sign-in
        throw new AppError('identity_provider_error', 'The sign-in provider could not be reached.', { cause: e });
      });
    return configuration;
  };
  return {
    name: 'google',
    async authorizationUrl(p) {
      return client.buildAuthorizationUrl(await getConfiguration(), {
        redirect_uri: p.redirectUri, scope: 'openid email profile', response_type: 'code',
        code_challenge: p.codeChallenge, code_challenge_method: 'S256', state: p.state, nonce: p.nonce,
      });
    },
    async identify(callbackUrl, tx) {
      const config = await getConfiguration();
      let claims: client.IDToken | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: tx.verifier, expectedState: tx.state, expectedNonce: tx.nonce, idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (e) {
        throw translate(e);
      }
      if (!claims) throw new AppError('invalid_request', 'The provider returned no ID token.');
      if (claims.email_verified !== true || typeof claims.email !== 'string') {
        throw new AppError('forbidden', 'Your provider account has no verified email address.');
      }
      return { provider: 'google', subject: claims.sub, email: claims.email, displayName: typeof claims.name === 'string' ? claims.name : null };
    },
  };
}

interface GitHubEmail { email?: unknown; primary?: unknown; verified?: unknown }

/** GitHub OAuth 2 (GITHUB_BASE_URL for the OAuth endpoints, GITHUB_API_URL for the REST API). */
export function githubProvider(cfg: NonNullable<Config['auth']['github']>): OAuthProvider {
  const config = new client.Configuration(
    { issuer: cfg.baseUrl, authorization_endpoint: `${cfg.baseUrl}/login/oauth/authorize`, token_endpoint: `${cfg.baseUrl}/login/oauth/access_token` },
    cfg.clientId, cfg.clientSecret,
  );
  if (cfg.baseUrl.startsWith('http:')) client.allowInsecureRequests(config);

  async function api(path: string, token: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${cfg.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json', 'user-agent': 'cloister', 'x-github-api-version': '2022-11-28' },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (e) {
      throw new AppError('identity_provider_error', 'The sign-in provider could not be reached.', { cause: e });
    }
    if (!res.ok) throw new AppError('identity_provider_error', 'The sign-in provider refused the profile request.');
    return res.json();
  }

  return {
    name: 'github',
    async authorizationUrl(p) {
      return client.buildAuthorizationUrl(config, {
        redirect_uri: p.redirectUri, scope: 'read:user user:email', code_challenge: p.codeChallenge, code_challenge_method: 'S256', state: p.state,
        allow_signup: 'true',
      });
    },
    async identify(callbackUrl, tx) {
      let token: string;
      try {
        // GitHub reports token errors with HTTP 200 and an `error` member; openid-client
        // refuses such a body because it has no access_token.
        const tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: tx.verifier, expectedState: tx.state });
        token = tokens.access_token;
      } catch (e) {
        throw translate(e);
      }
      const user = await api('/user', token) as { id?: unknown; login?: unknown; name?: unknown };
      const emails = await api('/user/emails', token);
      if (typeof user.id !== 'number' && typeof user.id !== 'string') throw new AppError('identity_provider_error', 'The sign-in provider returned no user id.');
      const primary = Array.isArray(emails) ? (emails as GitHubEmail[]).find((e) => e.primary === true && e.verified === true) : undefined;
      if (!primary || typeof primary.email !== 'string') {
        throw new AppError('forbidden', 'Your GitHub account has no verified primary email address.');
      }
      const displayName = typeof user.name === 'string' ? user.name : typeof user.login === 'string' ? user.login : null;
      return { provider: 'github', subject: String(user.id), email: primary.email, displayName };
    },
  };
}
