import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { sessionCookieFor, setSessionCookie } from '../../support/session-helpers.ts';
import { adminWithKey, auditRows, failAuditWrites, sender } from '../../support/admin-helpers.ts';

const ORIGIN = 'http://localhost:8080';
const PASSWORD = 'correct horse battery staple';

describe('admin: disabling and re-enabling users', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: { userId: string; key: string };
  beforeEach(async () => {
    await resetDatabase();
    // Two replicas on one database; B keeps verified keys cached for a minute.
    a = await startTestApp({ PUBLIC_URL: ORIGIN, AUTH_PASSWORD_ENABLED: 'true' });
    b = await startTestApp({ PUBLIC_URL: ORIGIN, AUTH_PASSWORD_ENABLED: 'true', API_KEY_CACHE_TTL_SECONDS: '60' }, { clock: a.clock });
    admin = await adminWithKey(a);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  const disable = (id: string, app = a) => sender(app, ORIGIN)('POST', `/v1/admin/users/${id}/disable`, { key: admin.key });
  const enable = (id: string, app = a) => sender(app, ORIGIN)('POST', `/v1/admin/users/${id}/enable`, { key: admin.key });
  const me = async (app: TestApp, auth: { key?: string; cookie?: string }) => (await sender(app, ORIGIN)('GET', '/v1/users/me', auth)).status;
  const passwordLogin = (app: TestApp, email: string) => app.request('/v1/auth/password/login', {
    method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ email, password: PASSWORD }),
  });

  it('cuts the user\'s session and API key at their very next request, on every replica', async () => {
    const u = await a.userWithKey('victim@example.com');
    const cookie = await sessionCookieFor(a, u.userId);
    for (const app of [a, b]) {
      expect(await me(app, { key: u.key })).to.equal(200); // now cached on both replicas
      expect(await me(app, { cookie })).to.equal(200);
    }
    const res = await disable(u.userId);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ id: u.userId, disabled: true, disabled_at: Math.floor(a.clock.now().getTime() / 1000) });
    for (const app of [b, a]) {
      expect(await me(app, { key: u.key }), 'key').to.equal(401);
      expect(await me(app, { cookie }), 'cookie').to.equal(401);
    }
    const { admin: db } = testDatabase();
    expect((await db.query('select count(*)::int as n from sessions where user_id = $1 and revoked_at is null', [u.userId])).rows[0].n).to.equal(0);
    expect((await db.query('select count(*)::int as n from api_keys where user_id = $1 and revoked_at is null', [u.userId])).rows[0].n).to.equal(0);
    expect((await db.query('select count(*)::int as n from api_keys where user_id = $1 and revoked_at is null', [admin.userId])).rows[0].n).to.equal(1);
  });

  it('re-enabling restores sign-in, but revoked keys stay revoked', async () => {
    const signup = await a.request('/v1/auth/password/signup', { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify({ email: 'pw@example.com', password: PASSWORD }) });
    expect(signup.status).to.equal(202);
    const first = await passwordLogin(a, 'pw@example.com');
    expect(first.status).to.equal(200);
    const userId = (await first.json()).user_id as string;
    const { key } = await a.app.services.apiKeys.create(userId, 'old');
    expect((await disable(userId)).status).to.equal(200);
    const refused = await passwordLogin(b, 'pw@example.com');
    expect(refused.status).to.equal(401); // the same generic refusal as a wrong password
    expect(setSessionCookie(refused)).to.equal(null);

    const res = await enable(userId, b);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ disabled: false, disabled_at: null });
    const login = await passwordLogin(a, 'pw@example.com');
    expect(login.status).to.equal(200);
    expect(await me(a, { cookie: setSessionCookie(login)! })).to.equal(200);
    expect(await me(a, { key })).to.equal(401);
    expect(await me(b, { key })).to.equal(401);
  });

  it('writes one audit row per change, with the admin as actor and the user as subject', async () => {
    const u = await a.userWithKey('audited@example.com');
    const prefix = u.key.slice(3, 15);
    await disable(u.userId);
    await disable(u.userId); // already disabled: nothing changes, nothing recorded
    await enable(u.userId);
    const rows = await auditRows();
    expect(rows.map((r) => [r.action, r.actor_user_id, r.subject_user_id, r.client_ip])).to.deep.equal([
      ['user.disabled', admin.userId, u.userId, '127.0.0.1'],
      ['user.enabled', admin.userId, u.userId, '127.0.0.1'],
    ]);
    expect(rows[0]!.details).to.deep.equal({ via: 'api', revoked_key_prefixes: [prefix] });
    expect(rows[1]!.details).to.deep.equal({ via: 'api' });
  });

  it('refuses to let an admin disable themselves', async () => {
    const res = await disable(admin.userId);
    expect(res.status).to.equal(400);
    expect((await res.json()).error.param).to.equal('id');
    expect(await me(a, { key: admin.key })).to.equal(200);
  });

  it('answers 404 for an unknown user', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'nope']) {
      expect((await disable(id)).status).to.equal(404);
      expect((await enable(id)).status).to.equal(404);
    }
  });

  it('fails with 500 and changes nothing when the audit row cannot be written', async () => {
    const u = await a.userWithKey('kept@example.com');
    const restore = await failAuditWrites();
    try {
      const res = await disable(u.userId);
      expect(res.status).to.equal(500);
      expect((await res.json()).error.code).to.equal('internal_error');
    } finally {
      await restore();
    }
    expect(await me(b, { key: u.key })).to.equal(200);
    const row = (await testDatabase().admin.query('select disabled_at from users where id = $1', [u.userId])).rows[0];
    expect(row.disabled_at).to.equal(null);
    expect(await auditRows()).to.deep.equal([]);
  });
});
