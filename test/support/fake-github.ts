// A small fake of GitHub's OAuth endpoints and the two REST calls sign-in makes, on loopback.
// Like GitHub, it reports token errors with HTTP 200 and an `error` member.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

export interface FakeGitHub {
  readonly baseUrl: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  user: { id: number; login: string; name: string | null };
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
  /** the authorize step redirects back with error=access_denied */
  denyConsent: boolean;
  /** the token endpoint answers 200 with {"error": ...} */
  tokenError: boolean;
  /** access tokens issued (tests assert they never reach logs or the database) */
  readonly issuedTokens: string[];
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1. */
export async function startFakeGitHub(): Promise<FakeGitHub> {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const tokens = new Set<string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', fake.baseUrl);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirect = new URL(url.searchParams.get('redirect_uri')!);
      redirect.searchParams.set('state', url.searchParams.get('state') ?? '');
      if (fake.denyConsent) {
        redirect.searchParams.set('error', 'access_denied');
      } else {
        const code = randomBytes(10).toString('hex');
        codes.set(code, { challenge: url.searchParams.get('code_challenge') ?? '', redirectUri: url.searchParams.get('redirect_uri')! });
        redirect.searchParams.set('code', code);
      }
      res.writeHead(302, { location: redirect.href });
      res.end();
      return;
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const auth = req.headers.authorization;
        const basic = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString().split(':').map(decodeURIComponent) : [];
        const clientId = form.get('client_id') ?? basic[0];
        const secret = form.get('client_secret') ?? basic[1];
        const entry = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const pkceOk = entry && createHash('sha256').update(verifier).digest('base64url') === entry.challenge;
        if (fake.tokenError || !entry || !pkceOk || clientId !== fake.clientId || secret !== fake.clientSecret || form.get('redirect_uri') !== entry.redirectUri) {
          json(200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: 'https://docs.github.com' });
          return;
        }
        const token = `gho_${randomBytes(18).toString('hex')}`;
        tokens.add(token);
        fake.issuedTokens.push(token);
        json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      });
      return;
    }
    const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
    if (!tokens.has(token)) return json(401, { message: 'Bad credentials' });
    if (req.method === 'GET' && url.pathname === '/api/user') return json(200, fake.user);
    if (req.method === 'GET' && url.pathname === '/api/user/emails') return json(200, fake.emails);
    json(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const fake: FakeGitHub = {
    baseUrl: base, apiUrl: `${base}/api`, clientId: 'gh-client', clientSecret: 'gh-secret-gh-secret-gh-secret',
    user: { id: 4242, login: 'octo', name: 'Octo Cat' },
    emails: [{ email: 'octo@example.com', primary: true, verified: true }],
    denyConsent: false, tokenError: false, issuedTokens: [],
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
  return fake;
}
