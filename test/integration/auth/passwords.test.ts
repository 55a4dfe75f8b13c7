import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { setSessionCookie } from '../../support/session-helpers.ts';

const ORIGIN = 'http://localhost:8080';

describe('passwords (AUTH_PASSWORD_ENABLED)', () => {
  let t: TestApp;
  afterEach(() => t.close());
  const post = (path: string, body: unknown) => t.request(path, { method: 'POST', headers: { 'content-type': 'application/json', origin: ORIGIN }, body: JSON.stringify(body) });

  it('is off by default', async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN });
    expect((await post('/v1/auth/password/login', { email: 'a@example.com', password: 'x'.repeat(12) })).status).to.equal(404);
    expect((await (await t.request('/v1/auth/providers')).json()).password).to.equal(false);
  });

  describe('enabled', () => {
    const password = 'correct horse battery staple';
    beforeEach(async () => {
      await resetDatabase();
      t = await startTestApp({ PUBLIC_URL: ORIGIN, AUTH_PASSWORD_ENABLED: 'true' });
    });

    it('signs up with argon2id (min 12) and signs in; the password is never stored or logged', async () => {
      expect((await post('/v1/auth/password/signup', { email: 'pw@example.com', password: 'short' })).status).to.equal(400);
      const up = await post('/v1/auth/password/signup', { email: 'pw@example.com', password });
      expect(up.status).to.equal(202);
      expect(setSessionCookie(up), 'sign-up alone signs nobody in').to.equal(null);
      const login = await post('/v1/auth/password/login', { email: 'PW@example.com', password });
      expect(login.status).to.equal(200);
      const cookie = setSessionCookie(login)!;
      expect((await t.request('/v1/users/me', { headers: { cookie } })).status).to.equal(200);
      const rows = (await testDatabase().admin.query('select hash from user_passwords')).rows;
      expect(rows[0].hash).to.match(/^\$argon2id\$/);
      expect(t.logs.contains(password)).to.equal(false);
    });

    it('gives the same generic error for a wrong password and an unknown account', async () => {
      await post('/v1/auth/password/signup', { email: 'pw@example.com', password });
      const wrong = await post('/v1/auth/password/login', { email: 'pw@example.com', password: 'wrong password!!' });
      const unknown = await post('/v1/auth/password/login', { email: 'nobody@example.com', password: 'wrong password!!' });
      expect(wrong.status).to.equal(401);
      expect(unknown.status).to.equal(401);
      expect(await wrong.json()).to.deep.equal(await unknown.json());
    });

    // Finding 18.10: sign-up told whether an email had an account.
    it('answers sign-up the same whether or not the email has an account, and leaves the existing account as it was', async () => {
      const fresh = await post('/v1/auth/password/signup', { email: 'pw@example.com', password });
      const again = await post('/v1/auth/password/signup', { email: 'PW@example.com', password: 'another password, long' });
      expect(fresh.status).to.equal(202);
      expect(again.status).to.equal(202);
      expect(await again.json()).to.deep.equal(await fresh.json());
      expect(setSessionCookie(again)).to.equal(null);
      expect((await post('/v1/auth/password/login', { email: 'pw@example.com', password: 'another password, long' })).status).to.equal(401);
      expect((await post('/v1/auth/password/login', { email: 'pw@example.com', password })).status).to.equal(200);
      expect((await testDatabase().admin.query('select count(*)::int as n from users')).rows[0].n).to.equal(1);
    });

    it('throttles attempts per account', async () => {
      await post('/v1/auth/password/signup', { email: 'pw@example.com', password });
      for (let i = 0; i < 10; i++) await post('/v1/auth/password/login', { email: 'pw@example.com', password: 'wrong password!!' });
      expect((await post('/v1/auth/password/login', { email: 'pw@example.com', password })).status).to.equal(429);
      t.clock.advance(60_000);
      expect((await post('/v1/auth/password/login', { email: 'pw@example.com', password })).status).to.equal(200);
    });
  });
});
