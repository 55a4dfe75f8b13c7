// Route classes other than inference have their own per-minute limits in the same Postgres
// buckets: signature fetches per user (attestation), sign-in requests per client IP (auth).
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

describe('limits: attestation and auth route classes', () => {
  let dir: string;
  let fake: FakeUpstream;
  let t: TestApp;

  before(async () => {
    await resetDatabase();
    dir = await mkdtemp(join(tmpdir(), 'cloister-limits-'));
    fake = await startFakeUpstream();
    t = await startTestApp({
      ATTESTATION_MODE: 'simulated', DATA_DIR: dir, OPENAI_BASE_URL: `${fake.url}/v1`,
      SIGNATURE_RATE_LIMIT_PER_MINUTE: '2', AUTH_RATE_LIMIT_PER_MINUTE: '3', TRUSTED_PROXIES: '127.0.0.1',
    });
  });
  after(async () => { await t.close(); await fake.close(); await rm(dir, { recursive: true, force: true }); });

  it('limits signature requests per user, not per key or globally', async () => {
    const alice = await t.userWithKey();
    const bob = await t.userWithKey();
    const res = await t.request('/v1/chat/completions', { key: alice.key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'sign me' }] }) });
    const id = ((await res.json()) as { id: string }).id;
    const { key: second } = await t.app.services.apiKeys.create(alice.userId, 'second');
    expect((await t.request(`/v1/signature/${id}`, { key: alice.key })).status).to.equal(200);
    expect((await t.request(`/v1/signature/${id}`, { key: second })).status).to.equal(200);
    const refused = await t.request(`/v1/signature/${id}`, { key: alice.key });
    expect(refused.status).to.equal(429);
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 30);
    expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('rate_limit_exceeded');
    expect((await t.request(`/v1/signature/${id}`, { key: bob.key })).status, 'another user has their own bucket (and gets 404 for a foreign id)').to.equal(404);
  });

  it('limits sign-in requests per client IP, as TRUSTED_PROXIES reports it', async () => {
    const from = (ip: string) => t.request('/v1/auth/providers', { headers: { 'x-forwarded-for': ip } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await from('203.0.113.7')).status);
    expect(statuses).to.deep.equal([200, 200, 200, 429]);
    expect((await from('203.0.113.8')).status).to.equal(200);
  });
});
