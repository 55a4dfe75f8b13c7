import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startTestOp, type TestOp } from '../../support/oidc-provider.ts';
import { OAuthBrowser } from '../../support/oauth-browser.ts';

const PUBLIC = 'http://localhost:8080';
const CALLBACK = `${PUBLIC}/v1/auth/google/callback`;

describe('Google sign-in (OpenID Connect against a real OP)', () => {
  let op: TestOp;
  let t: TestApp;
  let browser: OAuthBrowser;
  before(async () => { op = await startTestOp(CALLBACK); });
  after(() => op.close());
  beforeEach(async () => {
    await resetDatabase();
    op.tamper = null;
    op.account = { sub: 'google-sub-1', email: 'op-user@example.com', email_verified: true, name: 'OP User' };
    t = await startTestApp({ PUBLIC_URL: PUBLIC, GOOGLE_ISSUER: op.issuer, GOOGLE_CLIENT_ID: op.clientId, GOOGLE_CLIENT_SECRET: op.clientSecret, ADMIN_EMAILS: 'boss@example.com' });
    browser = new OAuthBrowser(PUBLIC, t.url);
  });
  afterEach(() => t.close());

  /** runs the flow up to the callback URL the OP redirects to (not yet requested) */
  const toCallback = (returnTo = '/chat') => browser.followUntil(`${PUBLIC}/v1/auth/google?return_to=${encodeURIComponent(returnTo)}`, CALLBACK);

  it('signs in: PKCE S256, state and nonce sent; session cookie and redirect to return_to', async () => {
    const start = await browser.get(`${PUBLIC}/v1/auth/google?return_to=%2Fchat%3Fx%3D1`);
    expect(start.status).to.equal(302);
    const auth = new URL(start.location!);
    expect(auth.origin).to.equal(op.issuer);
    expect(auth.searchParams.get('code_challenge_method')).to.equal('S256');
    expect(auth.searchParams.get('state')).to.have.length.greaterThan(20);
    expect(auth.searchParams.get('nonce')).to.have.length.greaterThan(20);
    const callback = await browser.followUntil(start.location!, CALLBACK);
    const oauthCookie = browser.jar.get(PUBLIC)!.get('cloister_oauth')!;
    const done = await browser.get(callback);
    expect(done.status).to.equal(302);
    expect(done.location).to.equal(`${PUBLIC}/chat?x=1`);
    expect(done.location).to.not.contain('code=');
    const session = browser.jar.get(PUBLIC)?.get('cloister_session');
    expect(session).to.be.a('string');
    const me = await (await t.request('/v1/users/me', { headers: { cookie: `cloister_session=${session}` } })).json();
    expect(me).to.include({ email: 'op-user@example.com', email_verified: true, display_name: 'OP User' });
    // Nothing of the exchange in the logs or in the database.
    const code = new URL(callback).searchParams.get('code')!;
    for (const s of [code, session!, oauthCookie, auth.searchParams.get('state')!, auth.searchParams.get('nonce')!]) expect(t.logs.contains(s)).to.equal(false);
    const dump = JSON.stringify((await testDatabase().admin.query('select * from auth_challenges')).rows);
    expect(dump).to.not.contain(code);
  });

  it('links the identity once: a second sign-in reaches the same account', async () => {
    await browser.get(await toCallback());
    const first = (await testDatabase().admin.query('select user_id from user_identities')).rows;
    browser = new OAuthBrowser(PUBLIC, t.url);
    await browser.get(await toCallback());
    const second = (await testDatabase().admin.query('select user_id from user_identities')).rows;
    expect(second).to.deep.equal(first);
    expect((await testDatabase().admin.query('select count(*)::int as n from users')).rows[0].n).to.equal(1);
  });

  it('refuses a wrong state', async () => {
    const callback = new URL(await toCallback());
    callback.searchParams.set('state', 'x'.repeat(43));
    const res = await browser.get(callback.href);
    expect(res.location).to.equal(`${PUBLIC}/login?error=invalid_request`);
    expect(res.setCookies.join()).to.not.match(/cloister_session=[^;]/);
  });

  it('refuses an ID token with the wrong nonce', async () => {
    op.tamper = (p) => p.set('nonce', 'a-different-nonce-value');
    const callback = await toCallback();
    expect(new URL(callback).searchParams.has('code'), 'the OP issued a code').to.equal(true);
    const res = await browser.get(callback);
    expect(res.location).to.equal(`${PUBLIC}/login?error=invalid_request`);
    expect(res.setCookies.join()).to.not.match(/cloister_session=[^;]/);
  });

  it('refuses a PKCE mismatch (the OP rejects the verifier)', async () => {
    op.tamper = (p) => p.set('code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
    const callback = await toCallback();
    expect(new URL(callback).searchParams.has('code'), 'the OP issued a code').to.equal(true);
    const res = await browser.get(callback);
    expect(res.location).to.equal(`${PUBLIC}/login?error=invalid_request`);
    expect(res.setCookies.join()).to.not.match(/cloister_session=[^;]/);
  });

  it('refuses a replayed callback', async () => {
    const callback = await toCallback();
    const oauthCookie = browser.jar.get(PUBLIC)!.get('cloister_oauth')!;
    expect((await browser.get(callback)).status).to.equal(302);
    browser.setCookie(PUBLIC, `cloister_oauth=${oauthCookie}`);
    const replay = await browser.get(callback);
    expect(replay.location).to.equal(`${PUBLIC}/login?error=invalid_request`);
  });

  it('refuses an unverified email and creates no account', async () => {
    op.account = { sub: 'google-sub-2', email: 'unverified@example.com', email_verified: false };
    const callback = await toCallback();
    expect(new URL(callback).searchParams.has('code'), 'the OP issued a code').to.equal(true);
    const res = await browser.get(callback);
    expect(res.location).to.equal(`${PUBLIC}/login?error=forbidden`);
    expect((await testDatabase().admin.query('select count(*)::int as n from users')).rows[0].n).to.equal(0);
  });

  it('refuses an expired transaction (over 10 minutes)', async () => {
    const callback = await toCallback();
    t.clock.advance(11 * 60_000);
    expect((await browser.get(callback)).location).to.equal(`${PUBLIC}/login?error=invalid_request`);
  });

  // Finding 18.3 (open redirect after sign-in): every spelling, through a completed sign-in.
  it('falls back to / for open-redirect attempts in return_to', async () => {
    for (const evil of ['https://evil.example/', '//evil.example', '/\\evil.example', '/.//evil.example/phish', '/..//evil.example/phish', '/%2e//evil.example/phish']) {
      browser = new OAuthBrowser(PUBLIC, t.url);
      op.account = { sub: `s-${evil.length}`, email: 'op-user@example.com', email_verified: true };
      const done = await browser.get(await toCallback(evil));
      expect(done.location).to.equal(`${PUBLIC}/`);
    }
  });

  it('makes ADMIN_EMAILS admins at sign-in', async () => {
    op.account = { sub: 'boss', email: 'boss@example.com', email_verified: true };
    await browser.get(await toCallback());
    expect((await testDatabase().admin.query('select is_admin from users')).rows[0].is_admin).to.equal(true);
  });
});

describe('Google sign-in with the provider unreachable', () => {
  it('answers 502 identity_provider_error, and retries discovery next time', async () => {
    await resetDatabase();
    const t = await startTestApp({ PUBLIC_URL: PUBLIC, GOOGLE_ISSUER: 'http://127.0.0.1:9', GOOGLE_CLIENT_ID: 'x', GOOGLE_CLIENT_SECRET: 'y' });
    try {
      for (let i = 0; i < 2; i++) {
        const res = await t.request('/v1/auth/google?return_to=/', { redirect: 'manual' });
        expect(res.status).to.equal(502);
        expect((await res.json()).error.code).to.equal('identity_provider_error');
      }
    } finally {
      await t.close();
    }
  });
});
