// The principal watch: on a real server a replica remembers users that are live and have no
// limit in force, and their inference requests skip the limits round trip — until anything about
// the user changes (heard from Postgres, whoever made the change), or the replica can no longer
// be sure it hears every change (then it forgets everyone and checks every request again).
import { expect } from 'chai';
import net from 'node:net';
import pg from 'pg';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { captureLogs, waitFor } from '../../support/log-capture.ts';
import { createLogger } from '../../../src/log.ts';
import { startPrincipalWatch, type PrincipalWatch } from '../../../src/limits/principal-watch.ts';

const chat = JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }] });

describe('limits: the principal watch', () => {
  let fake: FakeUpstream;
  let a: TestApp | undefined;
  let b: TestApp | undefined;

  const post = (t: TestApp, key: string) => t.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: chat });
  const upstreamChats = () => fake.requests.filter((r) => r.path === '/v1/chat/completions').length;
  /** limits checks so far, by what answered them */
  const checks = async (t: TestApp) => {
    const out = { database: 0, watch: 0 };
    for (const v of (await t.app.metrics.limitChecks.get()).values) out[v.labels.answered_by as 'database' | 'watch'] = v.value;
    return out;
  };
  const watchOf = (t: TestApp): PrincipalWatch => t.app.principalWatch!;

  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake.close(); });
  beforeEach(async () => {
    await resetDatabase();
    fake.reset();
  });
  afterEach(async () => {
    await a?.close();
    await b?.close();
    a = b = undefined;
  });

  describe('on the embedded database, or with LIMITS_CHECK=always', () => {
    it('checks every inference request in Postgres', async () => {
      a = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, LIMITS_CHECK: 'always' });
      expect(a.app.principalWatch).to.equal(null);
      const { key } = await a.userWithKey();
      for (let i = 0; i < 3; i++) expect((await post(a, key)).status).to.equal(200);
      expect(await checks(a)).to.deep.equal({ database: 3, watch: 0 });
    });
  });

  it('a watch that cannot reach its database remembers nothing and says why in the log (no URL)', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const logs = captureLogs();
    const url = `postgres://cloister:secret-password@127.0.0.1:${port}/nowhere`;
    const watch = startPrincipalWatch({ url, db: testDatabase().admin, logger: createLogger('info', logs.stream), retryMs: 60_000 });
    try {
      await waitFor(() => logs.contains('"limits.watch_connect_failed"'), 5000);
      expect(logs.entries().find((e) => e.event === 'limits.watch_connect_failed')).to.include({ reason: 'ECONNREFUSED' });
      expect(logs.contains('secret-password')).to.equal(false);
      expect(logs.contains('127.0.0.1')).to.equal(false);
      watch.markClear(watch.epoch(), 'u1', null);
      expect(watch.isClear('u1', null)).to.equal(false);
      await watch.sync(); // not listening: nothing to wait for
    } finally {
      await watch.close();
    }
  });

  describe('on a real server', function () {
    before(function () {
      if (testDatabase().kind !== 'postgres') this.skip(); // the embedded database does not pass notifications on (and has no watch: see above)
    });

    async function start(env: Record<string, string> = {}): Promise<TestApp> {
      const t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, ...env });
      await watchOf(t).whenListening();
      return t;
    }

    it('lets a live, unlimited user skip the round trip after their first check, and records nothing of it in Postgres', async () => {
      a = await start();
      const { key } = await a.userWithKey();
      for (let i = 0; i < 4; i++) expect((await post(a, key)).status).to.equal(200);
      expect(await checks(a)).to.deep.equal({ database: 1, watch: 3 });
      expect(upstreamChats()).to.equal(4);
      expect(a.logs.entries().filter((e) => e.event === 'request' && e.status === 200)).to.have.length(4);
    });

    it('never remembers a user with a limit in force: every request is checked and counted', async () => {
      a = await start({ RATE_LIMIT_RPM: '2' });
      const { key } = await a.userWithKey();
      expect((await post(a, key)).status).to.equal(200);
      expect((await post(a, key)).status).to.equal(200);
      expect((await post(a, key)).status).to.equal(429);
      expect(await checks(a)).to.deep.equal({ database: 3, watch: 0 });
    });

    it('hears a key revoked by a plain SQL statement (no replica involved) and refuses it from then on', async () => {
      a = await start();
      const { key, userId } = await a.userWithKey();
      expect((await post(a, key)).status).to.equal(200);
      expect((await post(a, key)).status).to.equal(200); // remembered; the key sits in the verified-key cache too
      await testDatabase().admin.query('update api_keys set revoked_at = now() where user_id = $1', [userId]);
      await watchOf(a).sync(); // every change committed before this has been heard
      const refused = await post(a, key);
      expect(refused.status).to.equal(401);
      expect(((await refused.json()) as { error: { code: string } }).error.code).to.equal('invalid_api_key');
      expect(upstreamChats()).to.equal(2);
    });

    it('hears a user disabled, or given a limit, by SQL', async () => {
      a = await start();
      const one = await a.userWithKey();
      const two = await a.userWithKey();
      for (const u of [one, two]) expect((await post(a, u.key)).status).to.equal(200);
      await testDatabase().admin.query('update users set disabled_at = now() where id = $1', [one.userId]);
      await testDatabase().admin.query(`update users set limit_overrides = '{"rpm": 1}' where id = $1`, [two.userId]);
      await watchOf(a).sync();
      expect((await post(a, one.key)).status).to.equal(401);
      const limited = await post(a, two.key);
      expect(limited.status).to.equal(200);
      expect(limited.headers.get('x-ratelimit-limit-requests')).to.equal('1');
      expect((await post(a, two.key)).status).to.equal(429);
      expect(upstreamChats()).to.equal(3);
    });

    it('a change made on this replica binds its very next request, before any notification arrives', async () => {
      a = await start();
      const { key, userId } = await a.userWithKey();
      const other = await a.userWithKey();
      expect((await post(a, key)).status).to.equal(200);
      expect((await post(a, other.key)).status).to.equal(200);
      expect(await a.app.services.apiKeys.revoke({ prefix: key.split('_')[1]! })).to.not.equal(null);
      expect((await post(a, key)).status).to.equal(401);
      await a.app.services.admin.setLimits({ userId: null, via: 'cli', clientIp: null }, other.userId, { overrides: { rpm: 1 } });
      expect((await post(a, other.key)).headers.get('x-ratelimit-limit-requests')).to.equal('1');
      expect(userId).to.not.equal(other.userId);
    });

    it('on another replica, a key revoked on one is refused once the other has heard it', async () => {
      a = await start();
      b = await start();
      const { key } = await a.userWithKey();
      expect((await post(b, key)).status).to.equal(200);
      expect((await post(b, key)).status).to.equal(200);
      expect(await checks(b)).to.deep.equal({ database: 1, watch: 1 });
      expect(await a.app.services.apiKeys.revoke({ prefix: key.split('_')[1]! })).to.not.equal(null);
      await watchOf(b).sync();
      expect((await post(b, key)).status).to.equal(401);
      expect(upstreamChats()).to.equal(2);
    });

    it('forgets everyone when its connection is cut, checks every request meanwhile, and after listening again sees what changed unheard', async () => {
      a = await start();
      const { key, userId } = await a.userWithKey();
      expect((await post(a, key)).status).to.equal(200);
      await testDatabase().admin.query(`select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = 'cloister-watch' and datname = current_database()`);
      await waitFor(() => !watchOf(a!).listening, 5000);
      expect((await post(a, key)).status).to.equal(200);
      expect(await checks(a)).to.deep.equal({ database: 2, watch: 0 });
      // Revoked while nobody listens: no replica hears it, and none needs to.
      await testDatabase().admin.query('update api_keys set revoked_at = now() where user_id = $1', [userId]);
      await watchOf(a).whenListening();
      expect((await post(a, key)).status).to.equal(401);
      expect(a.logs.entries().some((e) => e.event === 'limits.watch_down')).to.equal(true);
    });

    it('stops remembering when its pings do not come back (notifications not passed on, as through a transaction pooler)', async () => {
      // Pings sent into another database never reach the listener, as notifications through
      // PgBouncer in transaction mode never do.
      const base = process.env.TEST_DATABASE_URL!;
      const elsewhere = new pg.Pool({ connectionString: base, max: 1 });
      const logs = captureLogs();
      const watch = startPrincipalWatch({ url: testDatabase().url, db: elsewhere, logger: createLogger('info', logs.stream), pingIntervalMs: 20, pingTimeoutMs: 100, retryMs: 60_000 });
      try {
        await watch.whenListening();
        watch.markClear(watch.epoch(), 'u1', null);
        expect(watch.isClear('u1', null)).to.equal(true);
        await waitFor(() => !watch.listening, 5000);
        expect(watch.isClear('u1', null)).to.equal(false);
        await waitFor(() => logs.contains('"limits.watch_down"'), 5000);
        expect(logs.entries().find((e) => e.event === 'limits.watch_down')).to.include({ reason: 'ping_lost' });
      } finally {
        await watch.close();
        await elsewhere.end();
      }
    });

    it('does not remember an answer when anything was forgotten while it was being fetched', async () => {
      const logs = captureLogs();
      const watch = startPrincipalWatch({ url: testDatabase().url, db: testDatabase().admin, logger: createLogger('info', logs.stream) });
      try {
        await watch.whenListening();
        const before = watch.epoch();
        watch.forget('someone-else');
        watch.markClear(before, 'u1', 'k1');
        expect(watch.isClear('u1', 'k1')).to.equal(false);
        watch.markClear(watch.epoch(), 'u1', 'k1');
        expect(watch.isClear('u1', 'k1')).to.equal(true);
        expect(watch.isClear('u1', null), 'a session of the same user is another principal').to.equal(false);
        expect(watch.isClear('u1', 'k2')).to.equal(false);
      } finally {
        await watch.close();
      }
    });
  });
});
