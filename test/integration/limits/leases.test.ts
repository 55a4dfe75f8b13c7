// Concurrent requests are leases in Postgres: taken before upstream, given back on completion,
// on client abort and on failures, and expiring when the replica holding them dies. Disabling a
// user stops their next request on every replica, even with a stream still open.
import { expect } from 'chai';
import pg from 'pg';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { manualClock, type ManualClock } from '../../support/clock.ts';
import { waitFor } from '../../support/log-capture.ts';
import { sweepLimitState } from '../../../src/limits/queries.ts';
import { utcDay } from '../../../src/limits/periods.ts';

const body = (model: string, stream: boolean) => JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] });

describe('limits: concurrency leases', () => {
  let fake: FakeUpstream;
  let clock: ManualClock;
  let a: TestApp;
  let key: string;
  let userId: string;
  const others: TestApp[] = [];

  const post = (t: TestApp, model = 'fake-model', stream = false, signal?: AbortSignal) => t.request('/v1/chat/completions', {
    key, method: 'POST', headers: { 'content-type': 'application/json' }, body: body(model, stream), signal,
  });
  const leases = async () => Number((await testDatabase().admin.query('select count(*) from admissions')).rows[0].count);
  /** Opens a stream the fake upstream stalls after its first chunk; resolves once that chunk arrived. */
  async function openStall(t: TestApp) {
    const ac = new AbortController();
    const res = await post(t, 'stall', true, ac.signal);
    expect(res.status).to.equal(200);
    const reader = res.body!.getReader();
    await reader.read();
    return { abort: () => ac.abort(), reader };
  }

  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake.close(); });
  beforeEach(async () => {
    await resetDatabase();
    fake.reset();
    clock = manualClock('2026-03-10T10:00:00Z');
    a = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, RATE_LIMIT_CONCURRENCY: '1', RATE_LIMIT_LEASE_TTL_SECONDS: '30' }, { clock });
    ({ key, userId } = await a.userWithKey());
  });
  afterEach(async () => {
    await a.close();
    for (const t of others.splice(0)) await t.close().catch(() => {});
  });

  it('refuses a second concurrent request and gives the lease back when the first completes', async () => {
    const stall = await openStall(a);
    expect(await leases()).to.equal(1);
    const refused = await post(a);
    expect(refused.status).to.equal(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).to.contain('concurrent');
    stall.abort();
    await fake.requests.find((r) => r.path === '/v1/chat/completions')!.clientClosed;
    // The lease is released before the aborted request finishes on the server; poll the database state.
    // (A bounded count of polls was not enough on a loaded machine: poll until a deadline instead.)
    for (const deadline = Date.now() + 5000; await leases() > 0 && Date.now() < deadline;) await new Promise((r) => setImmediate(r));
    expect(await leases()).to.equal(0);
    // Completed requests (JSON and stream) release theirs before the last byte: back to back never collide.
    for (let i = 0; i < 3; i++) {
      expect((await post(a)).status).to.equal(200);
      const s = await post(a, 'fake-model', true);
      expect(s.status).to.equal(200);
      await s.text();
    }
    expect(await leases()).to.equal(0);
  });

  it('gives the lease back when upstream refuses or fails', async () => {
    expect((await post(a, 'error-429')).status).to.equal(429);
    expect((await post(a, 'error-500')).status).to.equal(502);
    const reset = await post(a, 'reset', true);
    expect(await reset.text()).to.contain('event: error');
    expect(await leases()).to.equal(0);
    expect((await post(a)).status).to.equal(200);
  });

  it('a dead replica\'s lease expires after the TTL, and the limit holds on another replica until then', async () => {
    const dbUrl = testDatabase().url;
    const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
    pool.on('error', () => {});
    const doomed = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, RATE_LIMIT_CONCURRENCY: '1', RATE_LIMIT_LEASE_TTL_SECONDS: '30' },
      { clock, database: { pool, url: dbUrl, embedded: testDatabase().kind === 'embedded', close: async () => {} } });
    others.push(doomed);
    const stall = await openStall(doomed);
    // The replica dies: it can no longer reach the database to give the lease back.
    await pool.end();
    stall.abort();
    await fake.requests.find((r) => r.path === '/v1/chat/completions')!.clientClosed;
    expect(await leases()).to.equal(1);
    expect((await post(a)).status).to.equal(429);
    clock.advance(29_000);
    expect((await post(a)).status).to.equal(429);
    clock.advance(1_000);
    expect((await post(a)).status).to.equal(200);
    // Checks only count unexpired leases; the periodic sweep deletes the expired row.
    expect(await leases()).to.equal(1);
    await sweepLimitState(testDatabase().admin, clock.now().getTime(), utcDay(clock.now()));
    expect(await leases()).to.equal(0);
  });

  it('renews the leases of long streams so they do not expire while running', async () => {
    const c = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, RATE_LIMIT_CONCURRENCY: '1', RATE_LIMIT_LEASE_TTL_SECONDS: '6' }, { clock });
    others.push(c);
    const stall = await openStall(c);
    const expiry = async () => Number((await testDatabase().admin.query('select expires_at from admissions')).rows[0].expires_at);
    const first = await expiry();
    // The holder renews every TTL/3 (2 s): moved 5 s, the renewal that falls due last (at 4 s)
    // pushes the expiry to 4 s + TTL.
    clock.advance(5_000);
    await waitFor(async () => await expiry() !== first, 5_000);
    expect(await expiry()).to.equal(first + 4_000);
    clock.advance(2_000); // past the first expiry, inside the renewed one
    expect((await post(c)).status).to.equal(429);
    stall.abort();
  });

  it('disabling a user stops their next request on another replica, with a stream still open', async () => {
    const b = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, RATE_LIMIT_CONCURRENCY: '5' }, { clock });
    others.push(b);
    expect((await post(b)).status).to.equal(200); // b has the key in its verified-key cache now
    const stall = await openStall(b);
    await testDatabase().admin.query('update users set disabled_at = now() where id = $1', [userId]);
    const next = await post(b);
    expect(next.status).to.equal(401);
    expect(((await next.json()) as { error: { code: string } }).error.code).to.equal('invalid_api_key');
    stall.abort();
  });

  it('a key revoked on one replica is refused by another replica\'s inference routes at once, though it sits in that replica\'s cache', async () => {
    // LIMITS_CHECK=always: every request is checked in Postgres, so the next one after the
    // commit is refused (with the default, once the replica has heard it: principal-watch.test.ts).
    const b = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, API_KEY_CACHE_TTL_SECONDS: '600', LIMITS_CHECK: 'always' }, { clock });
    others.push(b);
    expect((await post(b)).status).to.equal(200);
    const prefix = key.split('_')[1]!;
    expect(await a.app.services.apiKeys.revoke({ prefix })).to.not.equal(null);
    const next = await post(b);
    expect(next.status).to.equal(401);
    expect(fake.requests.filter((r) => r.path === '/v1/chat/completions')).to.have.length(1);
  });
});
