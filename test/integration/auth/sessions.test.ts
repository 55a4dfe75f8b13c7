import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { sessionCookieFor } from '../../support/session-helpers.ts';

const ORIGIN = 'http://localhost:8080';
const HOUR = 3_600_000;

describe('sessions', () => {
  let t: TestApp;
  let userId: string;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN, SESSIONS_PER_USER: '3' });
    userId = (await t.app.services.users.createUser({ email: 'sess@example.com', emailVerified: true })).id;
  });
  afterEach(() => t.close());

  const me = (cookie: string) => t.request('/v1/users/me', { headers: { cookie } });

  it('authenticates /v1/users/me and model routes with the session cookie', async () => {
    const cookie = await sessionCookieFor(t, userId);
    const res = await me(cookie);
    expect(res.status).to.equal(200);
    expect((await res.json()).id).to.equal(userId);
    const models = await t.request('/v1/models', { headers: { cookie } });
    expect(models.status).to.not.equal(401);
  });

  it('stores only the SHA-256 of the token', async () => {
    const cookie = await sessionCookieFor(t, userId);
    const token = cookie.split('=')[1]!;
    const dump = JSON.stringify((await testDatabase().admin.query('select * from sessions')).rows);
    expect(dump).to.not.contain(token);
  });

  it('expires after the idle timeout, and activity slides the window', async () => {
    const cookie = await sessionCookieFor(t, userId);
    t.clock.advance(7 * HOUR);
    expect((await me(cookie)).status).to.equal(200);
    t.clock.advance(7 * HOUR);
    expect((await me(cookie)).status).to.equal(200);
    t.clock.advance(8 * HOUR);
    expect((await me(cookie)).status).to.equal(401);
  });

  it('expires at the absolute lifetime even when active', async () => {
    const cookie = await sessionCookieFor(t, userId);
    for (let elapsed = 0; elapsed < 29 * 24 * HOUR; elapsed += 7 * HOUR) {
      t.clock.advance(7 * HOUR);
      expect((await me(cookie)).status).to.equal(200);
    }
    t.clock.advance(24 * HOUR);
    expect((await me(cookie)).status).to.equal(401);
  });

  it('lists own sessions and revokes one; the revoked cookie stops working', async () => {
    const a = await sessionCookieFor(t, userId);
    const b = await sessionCookieFor(t, userId);
    const list = await (await me(a).then(() => t.request('/v1/users/me/sessions', { headers: { cookie: a } }))).json();
    expect(list.data).to.have.length(2);
    const other = list.data.find((s: { current: boolean }) => !s.current);
    const del = await t.request(`/v1/users/me/sessions/${other.id}`, { method: 'DELETE', headers: { cookie: a, origin: ORIGIN } });
    expect(del.status).to.equal(200);
    expect((await me(b)).status).to.equal(401);
    expect((await me(a)).status).to.equal(200);
  });

  it('cannot revoke another user\'s session (404)', async () => {
    const other = (await t.app.services.users.createUser({ email: 'other@example.com' })).id;
    const theirs = await sessionCookieFor(t, other);
    const list = await (await t.request('/v1/users/me/sessions', { headers: { cookie: theirs } })).json();
    const mine = await sessionCookieFor(t, userId);
    const del = await t.request(`/v1/users/me/sessions/${list.data[0].id}`, { method: 'DELETE', headers: { cookie: mine, origin: ORIGIN } });
    expect(del.status).to.equal(404);
    expect((await me(theirs)).status).to.equal(200);
  });

  it('logs out: the cookie is cleared and revoked server-side', async () => {
    const cookie = await sessionCookieFor(t, userId);
    const res = await t.request('/v1/auth/logout', { method: 'POST', headers: { cookie, origin: ORIGIN } });
    expect(res.status).to.equal(204);
    expect(res.headers.getSetCookie().join()).to.match(/cloister_session=; Max-Age=0/);
    expect((await me(cookie)).status).to.equal(401);
  });

  it('evicts the oldest session beyond the per-user cap', async () => {
    const first = await sessionCookieFor(t, userId);
    t.clock.advance(1000);
    const rest = [];
    for (let i = 0; i < 3; i++) {
      rest.push(await sessionCookieFor(t, userId));
      t.clock.advance(1000);
    }
    expect((await me(first)).status).to.equal(401);
    for (const c of rest) expect((await me(c)).status).to.equal(200);
  });

  it('ignores a cookie the server did not issue (no fixation)', async () => {
    const forged = `cloister_session=${'A'.repeat(43)}`;
    const res = await me(forged);
    expect(res.status).to.equal(401);
  });

  it('refuses sessions of a disabled user', async () => {
    const cookie = await sessionCookieFor(t, userId);
    await testDatabase().admin.query('update users set disabled_at = now() where id = $1', [userId]);
    expect((await me(cookie)).status).to.equal(401);
  });
});

describe('CSRF', () => {
  let t: TestApp;
  let cookie: string;
  let key: string;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN, ALLOWED_ORIGINS: 'https://app.example.com' });
    const u = await t.userWithKey('csrf@example.com');
    key = u.key;
    cookie = await sessionCookieFor(t, u.userId);
  });
  afterEach(() => t.close());

  const post = (headers: Record<string, string>) =>
    t.request('/v1/users/me/api-keys', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"name":"x"}' });

  it('rejects a cookie-authenticated unsafe request without Origin', async () => {
    const res = await post({ cookie });
    expect(res.status).to.equal(403);
    expect((await res.json()).error.code).to.equal('csrf_rejected');
  });

  it('rejects a foreign Origin, even with Sec-Fetch-Site: same-origin', async () => {
    const res = await post({ cookie, origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' });
    expect(res.status).to.equal(403);
    expect((await res.json()).error.code).to.equal('csrf_rejected');
  });

  it('rejects Sec-Fetch-Site: cross-site without Origin', async () => {
    expect((await post({ cookie, 'sec-fetch-site': 'cross-site' })).status).to.equal(403);
  });

  it('accepts PUBLIC_URL, an ALLOWED_ORIGINS origin, or Sec-Fetch-Site: same-origin', async () => {
    expect((await post({ cookie, origin: ORIGIN })).status).to.equal(201);
    expect((await post({ cookie, origin: 'https://app.example.com' })).status).to.equal(201);
    expect((await post({ cookie, 'sec-fetch-site': 'same-origin' })).status).to.equal(201);
  });

  it('exempts bearer requests', async () => {
    const res = await post({ authorization: `Bearer ${key}` });
    expect(res.status).to.equal(201);
  });

  it('leaves safe methods alone', async () => {
    expect((await t.request('/v1/users/me', { headers: { cookie, origin: 'https://evil.example' } })).status).to.equal(200);
  });

  it('protects sign-in routes against login CSRF even without a cookie', async () => {
    const res = await t.request('/v1/auth/passkey/login/options', { method: 'POST', headers: { origin: 'https://evil.example' } });
    expect(res.status).to.equal(403);
  });
});

describe('session cookie attributes', () => {
  afterEach(async () => { /* apps closed in tests */ });

  async function cookieFrom(publicUrl: string): Promise<string> {
    await resetDatabase();
    const t = await startTestApp({ PUBLIC_URL: publicUrl });
    try {
      const u = await t.app.services.users.createUser({ email: 'c@example.com' });
      const cookie = await sessionCookieFor(t, u.id);
      const res = await t.request('/v1/auth/logout', { method: 'POST', headers: { cookie, origin: new URL(publicUrl).origin } });
      return res.headers.getSetCookie().join('\n');
    } finally {
      await t.close();
    }
  }

  it('uses cloister_session without Secure on http', async () => {
    const c = await cookieFrom('http://localhost:8080');
    expect(c).to.match(/^cloister_session=;/);
    expect(c).to.contain('HttpOnly').and.contain('SameSite=Lax').and.contain('Path=/');
    expect(c).to.not.contain('Secure');
  });

  it('uses __Host-cloister_session with Secure on https', async () => {
    const c = await cookieFrom('https://cloister.example');
    expect(c).to.match(/^__Host-cloister_session=;/);
    expect(c).to.contain('Secure').and.contain('HttpOnly').and.contain('SameSite=Lax').and.contain('Path=/');
    expect(c).to.not.match(/Domain=/i);
  });
});

describe('privilege change', () => {
  let t: TestApp;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN });
  });
  afterEach(() => t.close());

  it('granting admin ends the user\'s existing sessions (fresh session at next sign-in)', async () => {
    const u = await t.app.services.users.createUser({ email: 'promote@example.com', emailVerified: true });
    const cookie = await sessionCookieFor(t, u.id);
    await t.app.services.users.grantAdmin('promote@example.com');
    expect((await t.request('/v1/users/me', { headers: { cookie } })).status).to.equal(401);
    const fresh = await sessionCookieFor(t, u.id);
    expect((await (await t.request('/v1/users/me', { headers: { cookie: fresh } })).json()).is_admin).to.equal(true);
  });
});
