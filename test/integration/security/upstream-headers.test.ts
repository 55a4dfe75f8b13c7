// Findings 18.8 and 18.9: upstream's x-ratelimit-* headers describe the one key every user
// shares, so passing them on told each user about the others' traffic; and Idempotency-Key was
// forwarded unchanged under that shared key, so one user could replay another's request by
// reusing their key. Now only Cloister's own per-user headers are sent, and the key goes
// upstream as an HMAC of (user, key).
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

describe('security: what crosses between users through upstream headers', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  const chat = JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }] });

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, RATE_LIMIT_TIERS: JSON.stringify({ small: { rpm: 5 } }) });
  });
  after(async () => { await t.close(); await fake.close(); });
  beforeEach(() => fake.reset());

  const post = (key: string, headers: Record<string, string> = {}, body = chat, path = '/v1/chat/completions') =>
    t.request(path, { key, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const ratelimitHeaders = (res: Response) => [...res.headers.keys()].filter((k) => k.startsWith('x-ratelimit-'));

  it('never passes upstream\'s x-ratelimit-* on: JSON, stream and an upstream 429', async () => {
    const { key } = await t.userWithKey();
    const json = await post(key);
    expect(json.status).to.equal(200);
    expect(ratelimitHeaders(json)).to.deep.equal([]);
    expect(json.headers.get('openai-processing-ms')).to.equal('7');
    const stream = await post(key, {}, JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
    await stream.text();
    expect(ratelimitHeaders(stream)).to.deep.equal([]);
    const limited = await post(key, {}, JSON.stringify({ model: 'error-429', messages: [] }));
    expect(limited.status).to.equal(429);
    expect(limited.headers.get('retry-after')).to.equal('7');
    expect(ratelimitHeaders(limited)).to.deep.equal([]);
    expect((await t.request('/v1/models', { key })).headers.get('x-ratelimit-remaining-requests')).to.equal(null);
  });

  it('sends a limited user Cloister\'s own per-user figures, never upstream\'s', async () => {
    const { key, userId } = await t.userWithKey();
    await t.app.services.database.pool.query(`update users set tier = 'small' where id = $1`, [userId]);
    const res = await post(key);
    expect(res.headers.get('x-ratelimit-limit-requests')).to.equal('5');
    expect(res.headers.get('x-ratelimit-remaining-requests')).to.equal('4');
  });

  it('namespaces Idempotency-Key per user: stable for one user, different across users, never the key itself', async () => {
    const a = await t.userWithKey();
    const b = await t.userWithKey();
    const given = 'stainless-node-retry-5b0b7ad4-6b52-4b4e-9a0b-1d0e2f3a4b5c';
    await post(a.key, { 'idempotency-key': given });
    await post(a.key, { 'idempotency-key': given });
    await post(b.key, { 'idempotency-key': given });
    await post(b.key);
    const sent = fake.requests.map((r) => r.headers['idempotency-key']);
    expect(sent[0]).to.match(/^cloister-[A-Za-z0-9_-]{43}$/);
    expect(sent[1]).to.equal(sent[0]);
    expect(sent[2]).to.be.a('string').and.not.equal(sent[0]);
    expect(sent[3]).to.equal(undefined);
    for (const r of fake.requests) {
      const all = JSON.stringify(r.headers);
      expect(all).not.to.contain(given);
      expect(all).not.to.contain(a.userId);
      expect(all).not.to.contain(b.userId);
    }
  });

  it('namespaces the key on every forwarding route, not just inference', async () => {
    const { key } = await t.userWithKey();
    const res = await t.request('/v1/conversations', { key, method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k-1' }, body: '{}' });
    expect(res.status).to.equal(200);
    expect(fake.requests[0]!.headers['idempotency-key']).to.match(/^cloister-/);
  });

  it('refuses an Idempotency-Key that is not visible ASCII of at most 255 characters, and forwards nothing', async () => {
    const { key } = await t.userWithKey();
    for (const bad of ['x'.repeat(256), 'with space', 'tab\there']) {
      const res = await post(key, { 'idempotency-key': bad });
      expect(res.status, bad).to.equal(400);
      expect((await res.json()).error.param).to.equal('Idempotency-Key');
    }
    expect(fake.requests).to.have.length(0);
  });
});
