// Requests and tokens per minute, per user and per API key, held in Postgres: two app
// instances sharing one database enforce one limit; refusals are OpenAI-shaped 429s with
// retry-after; x-ratelimit-* headers describe Cloister's limits on every inference response.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { manualClock, type ManualClock } from '../../support/clock.ts';
import { formatResetDuration } from '../../../src/limits/headers.ts';

const chat = (content = 'hi') => JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content }] });

describe('limits: requests and tokens per minute', () => {
  let fake: FakeUpstream;
  let clock: ManualClock;
  let a: TestApp;
  let b: TestApp;
  let key: string;
  let userId: string;

  const post = (t: TestApp, k = key, body = chat()) => t.request('/v1/chat/completions', { key: k, method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const upstreamChats = () => fake.requests.filter((r) => r.path === '/v1/chat/completions').length;

  before(async () => {
    fake = await startFakeUpstream();
  });
  after(async () => { await fake.close(); });
  afterEach(async () => {
    await a?.close();
    await b?.close();
  });

  async function start(env: Record<string, string>) {
    await resetDatabase();
    fake.reset();
    clock = manualClock('2026-03-10T10:00:00Z');
    const full = { OPENAI_BASE_URL: `${fake.url}/v1`, ...env };
    a = await startTestApp(full, { clock });
    b = await startTestApp(full, { clock });
    ({ key, userId } = await a.userWithKey());
  }

  it('lets exactly 10 of 50 concurrent requests through a limit of 10, across two instances', async () => {
    await start({ RATE_LIMIT_RPM: '10' });
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => post(i % 2 === 0 ? a : b)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).to.have.length(10);
    expect(statuses.filter((s) => s === 429)).to.have.length(40);
    expect(upstreamChats()).to.equal(10);
    const refused = results.find((r) => r.status === 429)!;
    const body = await refused.json() as { error: { type: string; code: string; message: string } };
    expect(body.error).to.include({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(body.error.message).to.contain('requests per minute');
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
    expect(refused.headers.get('x-ratelimit-limit-requests')).to.equal('10');
    expect(refused.headers.get('x-ratelimit-remaining-requests')).to.equal('0');
    await Promise.all(results.map((r) => (r.bodyUsed ? undefined : r.body?.cancel())));
  });

  it('describes the limit on every inference response and refills at the configured rate', async () => {
    await start({ RATE_LIMIT_RPM: '3' });
    const first = await post(a);
    expect(first.status).to.equal(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).to.equal('3');
    expect(first.headers.get('x-ratelimit-remaining-requests')).to.equal('2');
    expect(first.headers.get('x-ratelimit-reset-requests')).to.equal('20s');
    // Cloister's numbers replace upstream's, which describe the shared key, not this user.
    expect(first.headers.get('x-ratelimit-remaining-requests')).to.not.equal('99');
    expect((await post(b)).headers.get('x-ratelimit-remaining-requests')).to.equal('1');
    expect((await post(a)).headers.get('x-ratelimit-remaining-requests')).to.equal('0');
    const refused = await post(b);
    expect(refused.status).to.equal(429);
    expect(refused.headers.get('retry-after')).to.equal('20');
    clock.advance(20_000);
    const again = await post(a);
    expect(again.status).to.equal(200);
    expect(again.headers.get('x-ratelimit-remaining-requests')).to.equal('0');
    expect(await post(a).then((r) => r.status)).to.equal(429);
  });

  it('sends no x-ratelimit-* for dimensions Cloister does not limit, and never upstream\'s', async () => {
    await start({});
    const res = await post(a);
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-ratelimit-remaining-requests')).to.equal(null);
    expect(res.headers.get('x-ratelimit-limit-tokens')).to.equal(null);
  });

  it('reserves a request\'s most at admission, settles it to what was used, and refuses while the minute\'s tokens are spent', async () => {
    await start({ RATE_LIMIT_TPM: '60' });
    const capped = JSON.stringify({ model: 'fake-model', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const reserve = Math.ceil(Buffer.byteLength(capped) / 4) + 10; // input by size, output by the request's own cap
    expect(reserve).to.equal(31);
    const first = await post(a, key, capped);
    expect(first.status).to.equal(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).to.equal('60');
    expect(first.headers.get('x-ratelimit-remaining-tokens'), 'what is left once this request\'s reservation is taken').to.equal('29');
    // The fake upstream reports 18 tokens per chat completion: the 30 reserved become 18 spent.
    const second = await post(b, key, capped);
    expect(second.status).to.equal(200);
    expect(second.headers.get('x-ratelimit-remaining-tokens')).to.equal(String(60 - 18 - reserve));
    // 36 of 60 spent: 24 left, fewer than the 31 this request reserves, on either instance.
    const refused = await post(a, key, capped);
    expect(refused.status).to.equal(429);
    expect((await refused.json() as { error: { message: string } }).error.message).to.contain('tokens per minute');
    expect(refused.headers.get('retry-after')).to.equal('7'); // 7 more tokens at one per second
    expect(upstreamChats()).to.equal(2);
    clock.advance(6_000);
    expect((await post(b, key, capped)).status).to.equal(429);
    clock.advance(1_000);
    expect((await post(a, key, capped)).status).to.equal(200);
    // Without a cap the default output reservation (4,096) stands in, up to the whole minute's allowance.
    clock.advance(60_000);
    const uncapped = await post(a);
    expect(uncapped.status).to.equal(200);
    expect(uncapped.headers.get('x-ratelimit-remaining-tokens')).to.equal('0');
    expect((await post(b)).status, '18 spent: 42 left, less than the allowance an uncapped request reserves').to.equal(429);
  });

  it('refuses a prompt larger than the tokens left this minute before it reaches upstream', async () => {
    await start({ RATE_LIMIT_TPM: '100' });
    expect((await post(a)).status).to.equal(200); // 18 spent, 82 left
    const big = chat('x'.repeat(400)); // ~110 estimated tokens, capped at the whole allowance (100)
    const refused = await post(a, key, big);
    expect(refused.status).to.equal(429);
    expect(upstreamChats()).to.equal(1);
    clock.advance(60_000);
    expect((await post(a, key, big)).status).to.equal(200);
  });

  it('applies per-user overrides and tiers set in the database, and caps a key below its owner', async () => {
    await start({ RATE_LIMIT_RPM: '100', RATE_LIMIT_TIERS: '{"small":{"rpm":2}}' });
    const { admin } = testDatabase();
    await admin.query(`update users set tier = 'small' where id = $1`, [userId]);
    expect((await post(a)).headers.get('x-ratelimit-limit-requests')).to.equal('2');
    await admin.query(`update users set limit_overrides = '{"rpm": 5}' where id = $1`, [userId]);
    expect((await post(a)).headers.get('x-ratelimit-limit-requests')).to.equal('5');
    await admin.query(`update users set limit_overrides = '{"rpm": null}' where id = $1`, [userId]);
    expect((await post(a)).headers.get('x-ratelimit-remaining-requests')).to.equal(null); // unlimited: no header (never upstream's)

    // A second key of the same user, capped at 1 request per minute.
    const { key: capped } = await a.app.services.apiKeys.create(userId, 'capped');
    await admin.query(`update api_keys set limits = '{"rpm": 1}' where name = 'capped'`);
    expect((await post(a, capped)).status).to.equal(200);
    const refused = await post(b, capped);
    expect(refused.status).to.equal(429);
    expect(refused.headers.get('x-ratelimit-limit-requests')).to.equal('1');
    expect((await post(b, key)).status).to.equal(200); // the owner's other key is not capped
  });

  it('limits each user separately', async () => {
    await start({ RATE_LIMIT_RPM: '1' });
    const other = await a.userWithKey();
    expect((await post(a)).status).to.equal(200);
    expect((await post(a)).status).to.equal(429);
    expect((await post(b, other.key)).status).to.equal(200);
  });

  it('leaves non-inference routes and models to their own limits', async () => {
    await start({ RATE_LIMIT_RPM: '1' });
    expect((await post(a)).status).to.equal(200);
    expect((await post(a)).status).to.equal(429);
    expect((await a.request('/v1/models', { key })).status).to.equal(200);
    expect((await a.request('/v1/conversations', { key })).status).to.equal(200);
  });

  it('formats reset durations like OpenAI', () => {
    expect(formatResetDuration(20)).to.equal('20ms');
    expect(formatResetDuration(6000)).to.equal('6s');
    expect(formatResetDuration(7660)).to.equal('7.66s');
    expect(formatResetDuration(90_000)).to.equal('1m30s');
    expect(formatResetDuration(-5)).to.equal('0ms');
  });
});
