// A user caps one of their API keys below their own limits when creating it.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

describe('limits: per-key caps set by the key owner', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let key: string;

  const createKey = (body: unknown) => t.request('/v1/users/me/api-keys', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const chat = (k: string) => t.request('/v1/chat/completions', { key: k, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }] }) });

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1` });
    ({ key } = await t.userWithKey());
  });
  after(async () => { await t.close(); await fake.close(); });

  it('creates a capped key, lists its caps, and enforces them while the owner\'s other keys run free', async () => {
    const res = await createKey({ name: 'script', limits: { rpm: 2, concurrency: 1 } });
    expect(res.status).to.equal(201);
    const created = await res.json() as { key: string; limits: Record<string, number> };
    expect(created.limits).to.deep.equal({ rpm: 2, concurrency: 1 });
    const list = await (await t.request('/v1/users/me/api-keys', { key })).json() as { data: Array<{ name: string; limits: Record<string, number> }> };
    expect(list.data.find((k) => k.name === 'script')!.limits).to.deep.equal({ rpm: 2, concurrency: 1 });
    expect((await chat(created.key)).headers.get('x-ratelimit-limit-requests')).to.equal('2');
    expect((await chat(created.key)).status).to.equal(200);
    expect((await chat(created.key)).status).to.equal(429);
    expect((await chat(key)).status).to.equal(200);
  });

  it('refuses bad caps with a 400 naming the field, and creates no key', async () => {
    const count = async () => Number((await testDatabase().admin.query('select count(*) from api_keys')).rows[0].count);
    const before = await count();
    for (const [limits, param] of [[{ rpm: 0 }, 'limits.rpm'], [{ daily_tokens: 5 }, 'limits.daily_tokens'], [{ tpm: null }, 'limits.tpm'], [{ concurrency: 1.5 }, 'limits.concurrency'], [[1], 'limits']] as const) {
      const res = await createKey({ limits });
      expect(res.status, JSON.stringify(limits)).to.equal(400);
      expect(((await res.json()) as { error: { param: string } }).error.param).to.equal(param);
    }
    expect(await count()).to.equal(before);
  });
});
