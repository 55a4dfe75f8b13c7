import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { sessionCookieFor } from '../../support/session-helpers.ts';

const ORIGIN = 'http://localhost:8080';

describe('account self-service', () => {
  let t: TestApp;
  let cookie: string;
  let userId: string;
  let key: string;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN, AUTH_RATE_LIMIT_PER_MINUTE: '5' });
    const u = await t.userWithKey('self@example.com');
    userId = u.userId;
    key = u.key;
    cookie = await sessionCookieFor(t, userId);
  });
  afterEach(() => t.close());

  const send = (method: string, path: string, body?: unknown) => t.request(path, {
    method, headers: { cookie, origin: ORIGIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

  it('updates the display name', async () => {
    const res = await send('PATCH', '/v1/users/me', { display_name: 'Grace' });
    expect(res.status).to.equal(200);
    expect((await (await send('GET', '/v1/users/me')).json()).display_name).to.equal('Grace');
    expect((await send('PATCH', '/v1/users/me', { display_name: 42 })).status).to.equal(400);
  });

  it('stores settings sealed: readable through the API, not in the database', async () => {
    const canary = `canary-${Date.now()}-settings`;
    const put = await send('PUT', '/v1/users/me/settings', { system_prompt: canary, theme: 'dark' });
    expect(put.status).to.equal(200);
    expect(await (await send('GET', '/v1/users/me/settings')).json()).to.deep.equal({ system_prompt: canary, theme: 'dark' });
    const rows = (await testDatabase().admin.query('select sealed from user_settings')).rows as Array<{ sealed: Buffer }>;
    expect(rows).to.have.length(1);
    expect(rows[0]!.sealed.toString('latin1')).to.not.contain(canary).and.not.contain('dark');
  });

  it('creates, lists and revokes API keys over HTTP', async () => {
    const created = await send('POST', '/v1/users/me/api-keys', { name: 'laptop' });
    expect(created.status).to.equal(201);
    const body = await created.json();
    expect(body.key).to.match(/^ck_/);
    expect((await t.request('/v1/users/me', { key: body.key })).status).to.equal(200);
    const list = await (await send('GET', '/v1/users/me/api-keys')).json();
    expect(list.data.map((k: { name: string }) => k.name).sort()).to.deep.equal(['laptop', 'test']);
    expect(JSON.stringify(list)).to.not.contain(body.key);
    expect((await send('DELETE', `/v1/users/me/api-keys/${body.id}`)).status).to.equal(200);
    expect((await t.request('/v1/users/me', { key: body.key })).status).to.equal(401);
  });

  it('cannot revoke another user\'s API key', async () => {
    const other = await t.userWithKey('other@example.com');
    const theirs = (await t.app.services.apiKeys.list(other.userId))[0]!;
    expect((await send('DELETE', `/v1/users/me/api-keys/${theirs.id}`)).status).to.equal(404);
    expect((await t.request('/v1/users/me', { key: other.key })).status).to.equal(200);
  });

  it('deletes the account: sessions, keys and every owned row go', async () => {
    await send('PUT', '/v1/users/me/settings', { a: 1 });
    const res = await send('DELETE', '/v1/users/me');
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ object: 'user.deleted', id: userId, deleted: true, failed_objects: [] });
    expect((await t.request('/v1/users/me', { headers: { cookie } })).status).to.equal(401);
    expect((await t.request('/v1/users/me', { key })).status).to.equal(401);
    const admin = testDatabase().admin;
    for (const table of ['users', 'sessions', 'api_keys', 'user_settings']) {
      const n = (await admin.query(`select count(*)::int as n from ${table}`)).rows[0].n;
      expect(n, table).to.equal(0);
    }
  });

  it('rate-limits /v1/auth/* per client IP and lets the caller back in once the wait is over', async () => {
    for (let i = 0; i < 5; i++) expect((await t.request('/v1/auth/providers')).status).to.equal(200);
    const limited = await t.request('/v1/auth/providers');
    expect(limited.status).to.equal(429);
    expect(limited.headers.get('retry-after')).to.match(/^\d+$/);
    t.clock.advance(60_000);
    expect((await t.request('/v1/auth/providers')).status).to.equal(200);
  });

  it('serves the /login page with an external script only', async () => {
    const res = await t.request('/login');
    expect(res.status).to.equal(200);
    const html = await res.text();
    expect(html).to.contain('<script src="/login.js" defer></script>');
    expect(html).to.not.match(/<script>(?!<\/script>)/);
    expect(res.headers.get('content-security-policy')).to.contain("script-src 'self'");
    expect((await t.request('/login.js')).status).to.equal(200);
  });
});

describe('account disable (admin service)', () => {
  let t: TestApp;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN });
  });
  afterEach(() => t.close());

  it('stops the user\'s sessions and cached API keys at once', async () => {
    const u = await t.userWithKey('disable@example.com');
    const cookie = await sessionCookieFor(t, u.userId);
    expect((await t.request('/v1/users/me', { key: u.key })).status).to.equal(200); // now cached
    const disabled = await t.app.services.admin.disable({ userId: null, clientIp: null, via: 'cli' }, u.userId);
    expect(disabled.disabled_at).to.not.equal(null);
    expect((await t.request('/v1/users/me', { key: u.key })).status).to.equal(401);
    expect((await t.request('/v1/users/me', { headers: { cookie } })).status).to.equal(401);
  });
});
