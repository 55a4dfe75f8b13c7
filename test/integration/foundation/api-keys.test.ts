import argon2 from 'argon2';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';

describe('API keys', () => {
  let t: TestApp;
  beforeEach(async () => { await resetDatabase(); t = await startTestApp(); });
  afterEach(() => t.close());

  it('authenticates a created key, then refuses it with 401 once revoked', async () => {
    const { key, userId } = await t.userWithKey('keys@example.com');
    expect(key).to.match(/^ck_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);
    const me = await t.request('/v1/users/me', { key });
    expect(me.status).to.equal(200);
    expect(await me.json()).to.include({ id: userId, email: 'keys@example.com' });

    const prefix = key.slice(3, 15);
    expect(await t.app.services.apiKeys.revoke({ prefix })).to.include({ prefix, user_id: userId });
    const after = await t.request('/v1/users/me', { key });
    expect(after.status).to.equal(401);
    expect((await after.json()).error.code).to.equal('invalid_api_key');
  });

  it('stores only a SHA-256 hash of the secret, never the key or its secret', async () => {
    const { key } = await t.userWithKey();
    const rows = (await testDatabase().admin.query('select * from api_keys')).rows;
    expect(rows).to.have.length(1);
    const dump = JSON.stringify(rows);
    expect(dump).to.not.contain(key);
    expect(dump).to.not.contain(key.slice(16));
    expect(rows[0].hash).to.equal(`sha256:${createHash('sha256').update(key.slice(16)).digest('hex')}`);
  });

  it('still accepts a key stored with argon2id (created before SHA-256) and rehashes it on first use', async () => {
    const { key, userId } = await t.userWithKey();
    const secret = key.slice(16);
    const legacy = await argon2.hash(secret, { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    await testDatabase().admin.query('update api_keys set hash = $1', [legacy]);
    t.app.services.apiKeys.forgetUser(userId);
    const forged = `${key.slice(0, 16)}${'A'.repeat(43)}`;
    expect((await t.request('/v1/users/me', { key: forged })).status, 'wrong secret against an argon2id hash').to.equal(401);
    expect((await testDatabase().admin.query('select hash from api_keys')).rows[0].hash).to.equal(legacy);
    expect((await t.request('/v1/users/me', { key })).status).to.equal(200);
    expect((await testDatabase().admin.query('select hash from api_keys')).rows[0].hash).to.equal(`sha256:${createHash('sha256').update(secret).digest('hex')}`);
    t.app.services.apiKeys.forgetUser(userId);
    expect((await t.request('/v1/users/me', { key })).status, 'verified against the new hash').to.equal(200);
  });

  it('refuses every key whose stored hash is in no known form', async () => {
    const { key, userId } = await t.userWithKey();
    await testDatabase().admin.query("update api_keys set hash = 'plain-text'");
    t.app.services.apiKeys.forgetUser(userId);
    expect((await t.request('/v1/users/me', { key })).status).to.equal(401);
  });

  it('refuses a key whose secret is wrong even with a real prefix', async () => {
    const { key } = await t.userWithKey();
    const forged = `${key.slice(0, 16)}${'A'.repeat(43)}`;
    const res = await t.request('/v1/users/me', { key: forged });
    expect(res.status).to.equal(401);
  });

  it('refuses keys of a disabled user', async () => {
    const { key, userId } = await t.userWithKey();
    await testDatabase().admin.query('update users set disabled_at = now() where id = $1', [userId]);
    t.app.services.apiKeys.forgetUser(userId);
    expect((await t.request('/v1/users/me', { key })).status).to.equal(401);
  });

  it('refuses a key revoked on another replica at its next request, though this replica has it cached', async () => {
    const other = await startTestApp({ API_KEY_CACHE_TTL_SECONDS: '60' }, { clock: t.clock });
    try {
      const { key } = await t.userWithKey();
      expect((await other.request('/v1/users/me', { key })).status).to.equal(200);
      expect((await other.request('/v1/users/me', { key })).status, 'served from the cache').to.equal(200);
      await t.app.services.apiKeys.revoke({ prefix: key.slice(3, 15) });
      expect((await t.request('/v1/users/me', { key })).status, 'revoking replica').to.equal(401);
      expect((await other.request('/v1/users/me', { key })).status, 'other replica, within the cache TTL').to.equal(401);
    } finally {
      await other.close();
    }
  });

  it('never writes the key or the Authorization header to the logs', async () => {
    const { key } = await t.userWithKey();
    await (await t.request('/v1/users/me', { key })).text();
    await (await t.request('/v1/users/me', { key: `${key}x` })).text();
    expect(t.logs.lines().length).to.be.greaterThan(0);
    expect(t.logs.contains(key)).to.equal(false);
    expect(t.logs.contains(key.slice(16))).to.equal(false);
    expect(t.logs.contains('Bearer')).to.equal(false);
  });
});
