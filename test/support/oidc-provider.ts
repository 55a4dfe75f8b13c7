// A real OpenID provider (panva's oidc-provider) on loopback, standing in for Google.
// Interactions are finished programmatically for the account the test chooses; a test can
// also tamper with the authorization request (nonce, code_challenge) as it reaches the OP.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount { sub: string; email: string; email_verified: boolean; name?: string }

export interface TestOp {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** the account the next interaction signs in */
  account: TestAccount;
  /** rewrites authorization request parameters before the OP sees them */
  tamper: ((params: URLSearchParams) => void) | null;
  close(): Promise<void>;
}

/** Starts the OP on 127.0.0.1 with one confidential client redirecting to `redirectUri`. */
export async function startTestOp(redirectUri: string): Promise<TestOp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const op: TestOp = {
    issuer, clientId: 'cloister-test', clientSecret: 'cloister-test-secret-cloister-test-secret',
    account: { sub: 'google-sub-1', email: 'op-user@example.com', email_verified: true, name: 'OP User' },
    tamper: null,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: op.clientId, client_secret: op.clientSecret, redirect_uris: [redirectUri],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post',
    }],
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, email: op.account.email, email_verified: op.account.email_verified, name: op.account.name }),
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    cookies: { keys: ['test-op-cookie-key'] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  provider.use(async (ctx, next) => {
    if (ctx.path === '/auth' && op.tamper) {
      const params = new URLSearchParams(ctx.querystring);
      op.tamper(params);
      ctx.querystring = params.toString();
    }
    if (ctx.path.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(ctx.req, ctx.res);
      const grant = new provider.Grant({ accountId: op.account.sub, clientId: String(details.params.client_id) });
      grant.addOIDCScope('openid email profile');
      const grantId = await grant.save();
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: op.account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false }));
      return;
    }
    await next();
  });
  server.on('request', provider.callback());
  return op;
}
