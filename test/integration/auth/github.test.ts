import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeGitHub, type FakeGitHub } from '../../support/fake-github.ts';
import { OAuthBrowser } from '../../support/oauth-browser.ts';
import { sessionCookieFor } from '../../support/session-helpers.ts';

const PUBLIC = 'http://localhost:8080';
const CALLBACK = `${PUBLIC}/v1/auth/github/callback`;

describe('GitHub sign-in (fake GitHub)', () => {
  let gh: FakeGitHub;
  let t: TestApp;
  let browser: OAuthBrowser;
  before(async () => { gh = await startFakeGitHub(); });
  after(() => gh.close());
  beforeEach(async () => {
    await resetDatabase();
    Object.assign(gh, { denyConsent: false, tokenError: false, user: { id: 4242, login: 'octo', name: 'Octo Cat' }, emails: [{ email: 'octo@example.com', primary: true, verified: true }] });
    t = await startTestApp({ PUBLIC_URL: PUBLIC, GITHUB_BASE_URL: gh.baseUrl, GITHUB_API_URL: gh.apiUrl, GITHUB_CLIENT_ID: gh.clientId, GITHUB_CLIENT_SECRET: gh.clientSecret });
    browser = new OAuthBrowser(PUBLIC, t.url);
  });
  afterEach(() => t.close());

  const toCallback = () => browser.followUntil(`${PUBLIC}/v1/auth/github?return_to=%2Fsettings`, CALLBACK);
  const users = async () => (await testDatabase().admin.query('select count(*)::int as n from users')).rows[0].n as number;

  it('signs in with the verified primary email; no token in logs or database', async () => {
    const callback = await toCallback();
    const done = await browser.get(callback);
    expect(done.status).to.equal(302);
    expect(done.location).to.equal(`${PUBLIC}/settings`);
    const session = browser.jar.get(PUBLIC)!.get('cloister_session')!;
    const me = await (await t.request('/v1/users/me', { headers: { cookie: `cloister_session=${session}` } })).json();
    expect(me).to.include({ email: 'octo@example.com', email_verified: true, display_name: 'Octo Cat' });
    const rows = (await testDatabase().admin.query('select provider, subject from user_identities')).rows;
    expect(rows).to.deep.equal([{ provider: 'github', subject: '4242' }]);
    const code = new URL(callback).searchParams.get('code')!;
    const token = gh.issuedTokens.at(-1)!;
    for (const s of [code, token, session]) expect(t.logs.contains(s), 'log').to.equal(false);
    for (const table of ['users', 'sessions', 'user_identities', 'auth_challenges']) {
      const dump = JSON.stringify((await testDatabase().admin.query(`select * from ${table}`)).rows);
      expect(dump).to.not.contain(token).and.not.contain(code);
    }
  });

  it('refuses a token error that arrives with HTTP 200', async () => {
    gh.tokenError = true;
    const res = await browser.get(await toCallback());
    expect(res.location).to.equal(`${PUBLIC}/login?error=invalid_request`);
    expect(res.setCookies.join()).to.not.match(/cloister_session=[^;]/);
    expect(await users()).to.equal(0);
  });

  it('refuses an account without a verified primary email', async () => {
    gh.emails = [{ email: 'octo@example.com', primary: true, verified: false }, { email: 'other@example.com', primary: false, verified: true }];
    const res = await browser.get(await toCallback());
    expect(res.location).to.equal(`${PUBLIC}/login?error=forbidden`);
    expect(await users()).to.equal(0);
  });

  it('refuses denied consent', async () => {
    gh.denyConsent = true;
    const callback = await toCallback();
    expect(new URL(callback).searchParams.get('error')).to.equal('access_denied');
    const res = await browser.get(callback);
    expect(res.location).to.equal(`${PUBLIC}/login?error=invalid_request`);
    expect(await users()).to.equal(0);
  });

  it('links to the signed-in account instead of creating one', async () => {
    const existing = await t.app.services.users.createUser({ email: 'someone-else@example.com', emailVerified: true });
    const cookie = await sessionCookieFor(t, existing.id);
    browser.setCookie(PUBLIC, cookie);
    await browser.get(await toCallback());
    expect(await users()).to.equal(1);
    const rows = (await testDatabase().admin.query('select user_id from user_identities')).rows;
    expect(rows).to.deep.equal([{ user_id: existing.id }]);
  });

  it('links by email only when the existing account\'s email is verified', async () => {
    const unverified = await t.app.services.users.createUser({ email: 'octo@example.com', emailVerified: false });
    await browser.get(await toCallback());
    const row = (await testDatabase().admin.query('select user_id from user_identities')).rows[0];
    expect(row.user_id).to.not.equal(unverified.id);
    expect(await users()).to.equal(2);
  });
});
