// Daily and monthly token budgets: they stop a user once spent, reset at the UTC period
// boundary (frozen clock), count unknown usage by size rather than as free, and fail closed
// when the limits cannot be checked.
import { expect } from 'chai';
import pg from 'pg';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { manualClock, type ManualClock } from '../../support/clock.ts';
import { cuttableRelay } from '../../support/cuttable-relay.ts';

const chat = (extra: object = {}) => JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('limits: token budgets', () => {
  let fake: FakeUpstream;
  let clock: ManualClock;
  let t: TestApp;
  let key: string;
  let userId: string;

  const post = (body = chat()) => t.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body });

  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake.close(); });
  afterEach(async () => { await t?.close(); });

  async function start(env: Record<string, string>, at: string) {
    await resetDatabase();
    fake.reset();
    clock = manualClock(at);
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, ...env }, { clock });
    ({ key, userId } = await t.userWithKey());
  }

  it('stops a user after the daily budget and lets them in again at 00:00 UTC', async () => {
    await start({ BUDGET_DAILY_TOKENS: '40' }, '2026-03-10T23:59:00Z');
    // 18 tokens per completion: 0 → 18 → 36 → 54 spent; the check before each asks "anything left?".
    for (let i = 0; i < 3; i++) expect((await post()).status).to.equal(200);
    const refused = await post();
    expect(refused.status).to.equal(429);
    const body = await refused.json() as { error: { type: string; code: string } };
    expect(body.error).to.deep.include({ type: 'insufficient_quota', code: 'insufficient_quota' });
    expect(refused.headers.get('retry-after')).to.equal('60');
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).to.have.length(3);
    clock.set('2026-03-11T00:00:00Z');
    expect((await post()).status).to.equal(200);
    // What reached the database: usage counters, no content.
    const rows = await testDatabase().admin.query('select day::text, requests, input_tokens, output_tokens, estimated_tokens from usage_daily where user_id = $1 order by day', [userId]);
    expect(rows.rows.map((r) => [r.day, Number(r.requests), Number(r.input_tokens) + Number(r.output_tokens)])).to.deep.equal([['2026-03-10', 3, 54], ['2026-03-11', 1, 18]]);
  });

  it('stops a user after the monthly budget until the first day of the next month', async () => {
    await start({ BUDGET_MONTHLY_TOKENS: '30', BUDGET_DAILY_TOKENS: '1000' }, '2026-02-27T12:00:00Z');
    expect((await post()).status).to.equal(200);
    clock.set('2026-02-28T08:00:00Z');
    expect((await post()).status).to.equal(200); // 36 of 30 spent, over two days of the month
    const refused = await post();
    expect(refused.status).to.equal(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).to.contain('monthly');
    expect(Number(refused.headers.get('retry-after'))).to.equal(16 * 3600);
    clock.set('2026-03-01T00:00:00Z');
    expect((await post()).status).to.equal(200);
  });

  it('counts a stream without usage by its size instead of as free', async () => {
    await start({ BUDGET_DAILY_TOKENS: '50' }, '2026-03-10T12:00:00Z');
    const res = await post(chat({ stream: true })); // no include_usage: upstream reports nothing
    const text = await res.text();
    expect(res.status).to.equal(200);
    const row = (await testDatabase().admin.query('select requests, requests_without_usage, estimated_tokens, input_tokens from usage_daily where user_id = $1', [userId])).rows[0];
    const expected = Math.ceil((Buffer.byteLength(chat({ stream: true })) + Buffer.byteLength(text)) / 4);
    expect(Number(row.requests)).to.equal(1);
    expect(Number(row.requests_without_usage)).to.equal(1);
    expect(Number(row.input_tokens)).to.equal(0);
    expect(Number(row.estimated_tokens)).to.equal(expected);
    expect(expected).to.be.greaterThan(50);
    expect((await post()).status).to.equal(429);
  });

  it('fails closed: when the limits cannot be checked, the request is refused and nothing goes upstream', async () => {
    await resetDatabase();
    fake.reset();
    const relay = await cuttableRelay(new URL(testDatabase().url));
    const pool = new pg.Pool({ connectionString: relay.url, max: 2, connectionTimeoutMillis: 500 });
    pool.on('error', () => {}); // idle clients die with the relay; the app sees it on its next query
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, RATE_LIMIT_RPM: '100', API_KEY_CACHE_TTL_SECONDS: '600' }, { database: { pool, url: relay.url, embedded: testDatabase().kind === 'embedded', close: () => pool.end() } });
    ({ key } = await t.userWithKey());
    expect((await post()).status).to.equal(200); // the key is now in the verified-key cache
    await relay.cut();
    try {
      const res = await post();
      expect(res.status).to.equal(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('service_unavailable');
      expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).to.have.length(1);
    } finally {
      await relay.restore();
      await t.close();
      await relay.cut();
    }
  });
});
