// Findings 18.6 and 18.1 (login CSRF): the CSRF check looked for the session cookie with its own
// pattern and missed `cloister_session =<token>`, which the authenticator's parser accepted, so
// a foreign Origin created an API key; and it applied login-CSRF protection by path, which
// `/V1/AUTH/...` escaped. Now one cookie parser serves both, and the check goes by method and
// credential only: every unsafe request without a bearer key must come from an allowed origin.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { sessionCookieFor } from '../../support/session-helpers.ts';
import { rawRequest, tableCounts } from '../../support/raw-request.ts';

const ORIGIN = 'http://localhost:8080';

describe('security: CSRF by method and credential, one cookie parser', () => {
  let t: TestApp;
  let userId: string;
  let token: string;

  before(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN, AUTH_PASSWORD_ENABLED: 'true' });
    ({ userId } = await t.userWithKey('victim@example.com'));
    token = (await sessionCookieFor(t, userId)).split('=')[1]!;
  });
  after(() => t.close());

  const createKey = (headers: Record<string, string>) => rawRequest(t.server.port, 'POST', '/v1/users/me/api-keys', {
    headers: { 'content-type': 'application/json', ...headers }, body: '{"name":"x"}',
  });
  const keyCount = async () => Number((await testDatabase().admin.query('select count(*)::int as n from api_keys where user_id = $1', [userId])).rows[0].n);

  it('refuses a foreign Origin whichever way the session cookie is spelled, and creates no key', async () => {
    const before = await keyCount();
    for (const cookie of [`cloister_session=${token}`, `cloister_session =${token}`, ` cloister_session=${token} `, `other=1; cloister_session = ${token}`, `cloister_session="${token}"`]) {
      const res = await createKey({ cookie, origin: 'https://evil.example' });
      expect(res.status, cookie).to.equal(403);
      expect(JSON.parse(res.body).error.code).to.equal('csrf_rejected');
    }
    expect(await keyCount()).to.equal(before);
  });

  it('refuses a cookie-carrying request that has neither Origin nor a same-origin Sec-Fetch-Site', async () => {
    const before = await keyCount();
    for (const headers of [{}, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'none' }] as Array<Record<string, string>>) {
      const res = await createKey({ cookie: `cloister_session =${token}`, ...headers });
      expect(res.status, JSON.stringify(headers)).to.equal(403);
    }
    expect(await keyCount()).to.equal(before);
  });

  it('takes the cookie from the allowed origin, or a same-origin fetch without Origin', async () => {
    const before = await keyCount();
    expect((await createKey({ cookie: `cloister_session=${token}`, origin: ORIGIN })).status).to.equal(201);
    expect((await createKey({ cookie: `cloister_session=${token}`, 'sec-fetch-site': 'same-origin' })).status).to.equal(201);
    expect(await keyCount()).to.equal(before + 2);
  });

  it('refuses login CSRF on every sign-in route by origin, not by path, and nothing is written', async () => {
    const counts = await tableCounts(testDatabase().admin);
    for (const path of ['/v1/auth/password/login', '/v1/auth/password/signup', '/v1/auth/passkey/register/options', '/v1/auth/logout']) {
      const res = await rawRequest(t.server.port, 'POST', path, {
        headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ email: 'victim@example.com', password: 'a long enough password' }),
      });
      expect(res.status, path).to.equal(403);
    }
    // The case spelling that once skipped the check is no route at all.
    const upper = await rawRequest(t.server.port, 'POST', '/V1/AUTH/password/login', {
      headers: { 'content-type': 'application/json', origin: 'https://evil.example', accept: 'application/json' }, body: '{"email":"victim@example.com","password":"a long enough password"}',
    });
    expect([403, 404]).to.include(upper.status);
    expect(upper.headers['set-cookie']).to.equal(undefined);
    expect(await tableCounts(testDatabase().admin)).to.deep.equal(counts);
  });

  it('lets a non-browser client (no Origin, no Sec-Fetch-*, no cookie) reach the route and its own answer', async () => {
    const res = await rawRequest(t.server.port, 'POST', '/v1/auth/password/login', {
      headers: { 'content-type': 'application/json' }, body: '{"email":"nobody@example.com","password":"wrong password!!"}',
    });
    expect(res.status).to.equal(401);
    const anonymous = await rawRequest(t.server.port, 'POST', '/v1/chat/completions', { headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).to.equal(401);
  });

  it('exempts bearer requests: a browser never attaches Authorization by itself', async () => {
    const { key } = await t.userWithKey();
    const res = await rawRequest(t.server.port, 'POST', '/v1/users/me/api-keys', {
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, origin: 'https://tool.example' }, body: '{"name":"from a tool"}',
    });
    expect(res.status).to.equal(201);
  });
});
