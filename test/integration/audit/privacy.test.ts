import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { dumpAllTables, canary } from '../../support/privacy.ts';
import { setSessionCookie } from '../../support/session-helpers.ts';
import { adminWithKey, auditRows, failAuditWrites, sender } from '../../support/admin-helpers.ts';

const ORIGIN = 'http://localhost:8080';

describe('audit log: privacy', () => {
  let t: TestApp;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN, AUTH_PASSWORD_ENABLED: 'true' });
  });
  afterEach(() => t.close());

  const post = (path: string, body: unknown) => t.request(path, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify(body) });

  it('keeps what people type at sign-in out of every audit row, table and log line', async () => {
    const c = canary('audit');
    const password = `pw-${c}-long-enough`;
    const up = await post('/v1/auth/password/signup', { email: 'real@example.com', password });
    expect(up.status).to.equal(202);
    const first = await post('/v1/auth/password/login', { email: 'real@example.com', password });
    expect(first.status).to.equal(200);
    const userId = (await first.json()).user_id as string;
    // Failed sign-ins whose typed fields carry the canary: an unknown address, a password typed
    // into the email field, a wrong password for the real account.
    for (const body of [{ email: `typo-${c}@example.com`, password }, { email: password, password: 'x' }, { email: 'real@example.com', password: `${password}!` }]) {
      expect((await post('/v1/auth/password/login', body)).status).to.equal(401);
    }
    const ok = await post('/v1/auth/password/login', { email: 'real@example.com', password });
    expect(ok.status).to.equal(200);
    const cookie = setSessionCookie(ok)!;
    const admin = await adminWithKey(t);
    const send = sender(t, ORIGIN);
    const created = await (await send('POST', '/v1/users/me/api-keys', { cookie }, { name: 'laptop' })).json();
    expect((await send('POST', `/v1/admin/users/${userId}/limits`, { key: admin.key }, { tier: 'default', overrides: { rpm: 3 } })).status).to.equal(200);

    const rows = await auditRows();
    expect(rows.map((r) => r.action)).to.deep.equal([
      'account.created', 'sign_in.succeeded', 'sign_in.failed', 'sign_in.failed', 'sign_in.failed', 'sign_in.succeeded', 'api_key.created', 'user.limits_changed',
    ]);
    const cookieValue = cookie.split('=')[1]!;
    for (const secret of [c, cookieValue, created.key]) {
      expect(JSON.stringify(rows), 'audit rows').to.not.contain(secret);
      expect(await dumpAllTables(), 'tables').to.not.contain(secret);
      expect(t.logs.contains(secret), 'logs').to.equal(false);
    }
  });

  it('lets sign-in succeed when the audit row cannot be written, with a warning of allow-listed fields', async () => {
    const c = canary('audit-down');
    const restore = await failAuditWrites();
    try {
      const up = await post('/v1/auth/password/signup', { email: 'down@example.com', password: `pw-${c}-long-enough` });
      expect(up.status).to.equal(202);
      const first = await post('/v1/auth/password/login', { email: 'down@example.com', password: `pw-${c}-long-enough` });
      expect(first.status).to.equal(200);
      expect(setSessionCookie(first)).to.be.a('string');
      expect((await post('/v1/auth/password/login', { email: `typed-${c}@example.com`, password: 'wrong password' })).status).to.equal(401);
    } finally {
      await restore();
    }
    const warnings = t.logs.entries().filter((e) => e.event === 'audit.write_failed');
    expect(warnings.map((w) => w.action)).to.deep.equal(['account.created', 'sign_in.succeeded', 'sign_in.failed']);
    const allowed = ['action', 'err', 'event', 'level', 'service', 'time', 'user_id'];
    for (const w of warnings) expect(Object.keys(w).filter((k) => !allowed.includes(k))).to.deep.equal([]);
    expect(t.logs.contains(c)).to.equal(false);
    expect(await auditRows()).to.deep.equal([]);
  });
});
