import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { setSessionCookie } from '../../support/session-helpers.ts';
import { softAuthenticator } from '../../support/soft-authenticator.ts';
import { startTestOp, type TestOp } from '../../support/oidc-provider.ts';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github.ts';
import { OAuthBrowser } from '../../support/oauth-browser.ts';
import type { AuditEventRow } from '../../../src/audit/queries.ts';
import { auditRows } from '../../support/admin-helpers.ts';

const ORIGIN = 'http://localhost:8080';
const PASSWORD = 'correct horse battery staple';
const summary = (r: AuditEventRow) => ({ action: r.action, actor: r.actor_user_id, subject: r.subject_user_id, ip: r.client_ip, details: r.details });

describe('audit log: security events', () => {
  let t: TestApp;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => t.request(path, {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', origin: ORIGIN, ...headers },
  });
  afterEach(() => t.close());

  describe('password and passkey sign-in, keys, passkeys and account deletion', () => {
    beforeEach(async () => {
      await resetDatabase();
      // The test client is the trusted proxy, so X-Forwarded-For names the client.
      t = await startTestApp({ PUBLIC_URL: ORIGIN, AUTH_PASSWORD_ENABLED: 'true', TRUSTED_PROXIES: '127.0.0.1, ::1' });
    });

    it('records password sign-up, sign-in and a failed sign-in with the forwarded client IP', async () => {
      const xff = { 'x-forwarded-for': '198.51.100.7' };
      expect((await post('/v1/auth/password/signup', { email: 'pw@example.com', password: PASSWORD }, xff)).status).to.equal(202);
      const login = await post('/v1/auth/password/login', { email: 'pw@example.com', password: PASSWORD }, { 'x-forwarded-for': '6.6.6.6, 203.0.113.5' });
      expect(login.status).to.equal(200);
      const userId = (await login.json()).user_id as string;
      expect((await post('/v1/auth/password/login', { email: 'pw@example.com', password: 'wrong password!!' }, xff)).status).to.equal(401);
      expect((await auditRows()).map(summary)).to.deep.equal([
        { action: 'account.created', actor: userId, subject: userId, ip: '198.51.100.7', details: { method: 'password' } },
        { action: 'sign_in.succeeded', actor: userId, subject: userId, ip: '203.0.113.5', details: { method: 'password' } },
        { action: 'sign_in.failed', actor: null, subject: null, ip: '198.51.100.7', details: { method: 'password', reason: 'unauthenticated' } },
      ]);
    });

    it('records passkey sign-up, sign-in, a refused assertion, passkeys added and removed, keys created and revoked, and deletion', async () => {
      const authn = softAuthenticator();
      const regOptions = await (await post('/v1/auth/passkey/register/options', {})).json();
      const reg = await post('/v1/auth/passkey/register/verify', { response: authn.register(regOptions, ORIGIN) });
      const userId = (await reg.json()).user_id as string;
      const cookie = setSessionCookie(reg)!;
      const loginOptions = await (await post('/v1/auth/passkey/login/options', {})).json();
      expect((await post('/v1/auth/passkey/login/verify', { response: authn.authenticate(loginOptions, ORIGIN, { userVerified: false }) })).status).to.equal(400);
      const again = await (await post('/v1/auth/passkey/login/options', {})).json();
      expect((await post('/v1/auth/passkey/login/verify', { response: authn.authenticate(again, ORIGIN) })).status).to.equal(200);

      const second = softAuthenticator();
      const addOptions = await (await post('/v1/users/me/passkeys/options', {}, { cookie })).json();
      const added = await post('/v1/users/me/passkeys', { response: second.register(addOptions, ORIGIN) }, { cookie });
      expect(added.status).to.equal(201);
      const passkeyId = (await added.json()).id as string;
      expect((await t.request(`/v1/users/me/passkeys/${passkeyId}`, { method: 'DELETE', headers: { cookie, origin: ORIGIN } })).status).to.equal(200);

      const created = await (await post('/v1/users/me/api-keys', { name: 'laptop', limits: { rpm: 10 } }, { cookie })).json();
      expect((await t.request(`/v1/users/me/api-keys/${created.id}`, { method: 'DELETE', headers: { cookie, origin: ORIGIN } })).status).to.equal(200);
      expect((await t.request('/v1/users/me', { method: 'DELETE', headers: { cookie, origin: ORIGIN, 'x-forwarded-for': '192.0.2.44' } })).status).to.equal(200);

      const self = { actor: userId, subject: userId, ip: '127.0.0.1' };
      expect((await auditRows()).map(summary)).to.deep.equal([
        { action: 'sign_in.succeeded', ...self, details: { method: 'passkey', new_account: true } },
        { action: 'sign_in.failed', actor: null, subject: null, ip: '127.0.0.1', details: { method: 'passkey', reason: 'invalid_request' } },
        { action: 'sign_in.succeeded', ...self, details: { method: 'passkey' } },
        { action: 'passkey.added', ...self, details: { passkey_id: passkeyId } },
        { action: 'passkey.removed', ...self, details: { passkey_id: passkeyId } },
        { action: 'api_key.created', ...self, details: { via: 'api', key_id: created.id, key_prefix: created.prefix, limits: { rpm: 10 } } },
        { action: 'api_key.revoked', ...self, details: { via: 'api', key_id: created.id, key_prefix: created.prefix } },
        { action: 'account.deleted', ...self, ip: '192.0.2.44', details: { via: 'api', failed_objects: 0 } },
      ]);
    });
  });

  describe('a disabled account', () => {
    beforeEach(async () => {
      await resetDatabase();
      t = await startTestApp({ PUBLIC_URL: ORIGIN });
    });

    it('records the refused sign-in with the account as subject', async () => {
      const authn = softAuthenticator();
      const regOptions = await (await post('/v1/auth/passkey/register/options', {})).json();
      const userId = (await (await post('/v1/auth/passkey/register/verify', { response: authn.register(regOptions, ORIGIN) })).json()).user_id as string;
      await t.app.services.admin.disable({ userId: null, clientIp: null, via: 'cli' }, userId);
      const options = await (await post('/v1/auth/passkey/login/options', {})).json();
      const refused = await post('/v1/auth/passkey/login/verify', { response: authn.authenticate(options, ORIGIN) });
      expect(refused.status).to.equal(403);
      expect(setSessionCookie(refused)).to.equal(null);
      expect((await auditRows()).map(summary).at(-1)).to.deep.equal({
        action: 'sign_in.failed', actor: null, subject: userId, ip: '127.0.0.1', details: { method: 'passkey', reason: 'forbidden' },
      });
    });
  });

  describe('client IP without trusted proxies', () => {
    beforeEach(async () => {
      await resetDatabase();
      t = await startTestApp({ PUBLIC_URL: ORIGIN, AUTH_PASSWORD_ENABLED: 'true' });
    });

    it('ignores X-Forwarded-For from an untrusted peer', async () => {
      await post('/v1/auth/password/login', { email: 'nobody@example.com', password: PASSWORD }, { 'x-forwarded-for': '198.51.100.7' });
      expect((await auditRows()).map((r) => r.client_ip)).to.deep.equal(['127.0.0.1']);
    });
  });

  describe('Google and GitHub sign-in', () => {
    let op: TestOp;
    let gh: FakeGitHub;
    before(async () => {
      op = await startTestOp(`${ORIGIN}/v1/auth/google/callback`);
      gh = await startFakeGitHub();
    });
    after(async () => {
      await op.close();
      await gh.close();
    });
    beforeEach(async () => {
      await resetDatabase();
      op.tamper = null;
      op.account = { sub: 'google-sub-9', email: 'g@example.com', email_verified: true };
      Object.assign(gh, { denyConsent: false, tokenError: false, user: { id: 77, login: 'octo', name: 'Octo' }, emails: [{ email: 'octo@example.com', primary: true, verified: true }] });
      t = await startTestApp({
        PUBLIC_URL: ORIGIN, GOOGLE_ISSUER: op.issuer, GOOGLE_CLIENT_ID: op.clientId, GOOGLE_CLIENT_SECRET: op.clientSecret,
        GITHUB_BASE_URL: gh.baseUrl, GITHUB_API_URL: gh.apiUrl, GITHUB_CLIENT_ID: gh.clientId, GITHUB_CLIENT_SECRET: gh.clientSecret,
      });
    });

    it('records successes and failures of both providers, with no code, state or token in the rows', async () => {
      const google = new OAuthBrowser(ORIGIN, t.url);
      const gCallback = await google.followUntil(`${ORIGIN}/v1/auth/google`, `${ORIGIN}/v1/auth/google/callback`);
      expect((await google.get(gCallback)).location).to.equal(`${ORIGIN}/`);
      const forged = new URL(await new OAuthBrowser(ORIGIN, t.url).followUntil(`${ORIGIN}/v1/auth/google`, `${ORIGIN}/v1/auth/google/callback`));
      forged.searchParams.set('state', 'x'.repeat(43));
      expect((await google.get(forged.href)).location).to.equal(`${ORIGIN}/login?error=invalid_request`);

      const github = new OAuthBrowser(ORIGIN, t.url);
      const hCallback = await github.followUntil(`${ORIGIN}/v1/auth/github`, `${ORIGIN}/v1/auth/github/callback`);
      expect((await github.get(hCallback)).location).to.equal(`${ORIGIN}/`);
      gh.denyConsent = true;
      const denied = new OAuthBrowser(ORIGIN, t.url);
      expect((await denied.get(await denied.followUntil(`${ORIGIN}/v1/auth/github`, `${ORIGIN}/v1/auth/github/callback`))).location).to.equal(`${ORIGIN}/login?error=invalid_request`);

      const rows = await auditRows();
      expect(rows.map((r) => [r.action, r.details])).to.deep.equal([
        ['sign_in.succeeded', { method: 'google' }],
        ['sign_in.failed', { method: 'google', reason: 'invalid_request' }],
        ['sign_in.succeeded', { method: 'github' }],
        ['sign_in.failed', { method: 'github', reason: 'invalid_request' }],
      ]);
      expect(rows[0]!.subject_user_id).to.be.a('string');
      expect(rows[2]!.subject_user_id).to.be.a('string').and.not.equal(rows[0]!.subject_user_id);
      const dump = JSON.stringify(rows);
      for (const secret of [new URL(gCallback).searchParams.get('code')!, new URL(hCallback).searchParams.get('code')!, gh.issuedTokens.at(-1)!, 'g@example.com', 'octo@example.com']) {
        expect(dump).to.not.contain(secret);
      }
    });
  });
});
