// The database goes away during traffic and comes back: the connection cut and restored (a
// relay in front of the database, both kinds), and a real Postgres restarted (a private
// throwaway cluster, real Postgres only). While it is away, requests get a clear 503 and
// streams already open carry on; once it is back, traffic succeeds again without a restart of
// Cloister. Afterwards: every answer was complete or a clear failure, every id a client could
// read is owned, and no admission outlives its lease (time moved on the app's clock).
import { expect } from 'chai';
import pg from 'pg';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { resetDatabase, testDatabase } from '../support/test-database.ts';
import { cuttableRelay } from '../support/cuttable-relay.ts';
import { manualClock } from '../support/clock.ts';
import { waitFor } from '../support/log-capture.ts';
import { runMigrations } from '../../src/db/migrate.ts';
import { createLogger } from '../../src/log.ts';
import { SQL_ROUTINES } from '../../src/app.ts';
import { sweepLimitState } from '../../src/limits/queries.ts';
import { utcDay } from '../../src/limits/periods.ts';
import { startFaultUpstream, type FaultUpstream } from './support/fault-upstream.ts';
import { expectOwned, idsIn, readAnswer, expectOpenAiError } from './support/fault-checks.ts';
import { startTraffic, expectEveryAnswerClear } from './support/traffic.ts';
import { startPrivatePostgres } from './support/private-postgres.ts';

const LEASE_TTL_MS = 5_000;

interface Outage {
  /** the database Cloister reaches (a relay or a private cluster), and one for the test's checks */
  readonly appUrl: string;
  readonly admin: pg.Pool;
  readonly embedded: boolean;
  down(): Promise<void>;
  up(): Promise<void>;
}

/** Runs traffic, takes the database down and up again in the middle of it, and checks the aftermath. */
async function outageDuringTraffic(upstream: FaultUpstream, outage: Outage): Promise<void> {
  const clock = manualClock(new Date());
  const pool = new pg.Pool({ connectionString: outage.appUrl, max: outage.embedded ? 1 : 4, connectionTimeoutMillis: 1000 });
  pool.on('error', () => {});
  const t: TestApp = await startTestApp({ OPENAI_BASE_URL: `${upstream.url}/v1`, DATABASE_URL: outage.appUrl, RATE_LIMIT_CONCURRENCY: '8', RATE_LIMIT_LEASE_TTL_SECONDS: String(LEASE_TTL_MS / 1000) },
    { clock, database: { pool, url: outage.appUrl, embedded: outage.embedded, close: () => pool.end() } });
  try {
    const { key, userId } = await t.userWithKey();
    const post = (model: string, stream: boolean, signal?: AbortSignal) => t.request('/v1/chat/completions', {
      key, method: 'POST', signal, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, store: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    // Two streams open across the outage: one the client leaves while the database is away, one after.
    const open = async () => {
      const ac = new AbortController();
      const res = await post('fault:stall:mid-stream', true, ac.signal);
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      return { ac, reader, first, rec: upstream.requests.at(-1)! };
    };
    const leftDuring = await open();
    const leftAfter = await open();

    const traffic = startTraffic(t.url, key, 'ok');
    await waitFor(() => traffic.ok >= 6, 20_000);
    await outage.down();
    const refused = await readAnswer(await post('ok', false));
    expect(refused.status, refused.text).to.equal(503);
    expect(expectOpenAiError(refused).code).to.equal('service_unavailable');
    const streamed = await readAnswer(await post('ok', true));
    expect(streamed.status, 'a stream refused before its first byte is a 503 too').to.equal(503);
    leftDuring.ac.abort();
    await leftDuring.rec.clientClosed;
    await outage.up();
    const before = traffic.ok;
    await waitFor(() => traffic.ok >= before + 6, 20_000);
    await traffic.stop();
    leftAfter.ac.abort();
    await leftAfter.rec.clientClosed;

    const counts = expectEveryAnswerClear(traffic.answers);
    expect(counts.ok).to.be.at.least(12);
    for (const a of [...traffic.answers, { text: leftDuring.first }, { text: leftAfter.first }]) await expectOwned(outage.admin, userId, idsIn(a.text));
    // The one left while the database was away could not give its admission back: it expires.
    clock.advance(LEASE_TTL_MS + 1000);
    const now = clock.now().getTime();
    const live = await outage.admin.query('select count(*) from admissions where expires_at > $1 and not waiting', [now]);
    expect(Number(live.rows[0].count), 'admissions still counted after their lease').to.equal(0);
    await sweepLimitState(outage.admin, now, utcDay(clock.now()));
    expect(Number((await outage.admin.query('select count(*) from admissions')).rows[0].count)).to.equal(0);
    // Still serving, without a restart.
    expect((await post('ok', false)).status).to.equal(200);
  } finally {
    await t.close();
  }
}

describe('fault: the database goes away during traffic', function () {
  this.timeout(90_000);
  let upstream: FaultUpstream;
  before(async () => { upstream = await startFaultUpstream(); });
  after(() => upstream.close());
  beforeEach(async () => { await resetDatabase(); upstream.reset(); });

  it('the connection to the database is cut and restored: 503 meanwhile, then traffic resumes', async () => {
    const relay = await cuttableRelay(new URL(testDatabase().url));
    try {
      await outageDuringTraffic(upstream, { appUrl: relay.url, admin: testDatabase().admin, embedded: testDatabase().kind === 'embedded', down: relay.cut, up: relay.restore });
    } finally {
      await relay.cut();
    }
  });

  it('Postgres restarts (a private cluster stopped and started): 503 meanwhile, then traffic resumes', async function () {
    // The embedded database lives inside Cloister's own process: it restarts only with that
    // process, which test/fault/replica-kill.test.ts does (SIGKILL mid-stream, then a restart on
    // the same DATA_DIR). Here it is the real server that restarts.
    if (testDatabase().kind === 'embedded') this.skip();
    const cluster = await startPrivatePostgres();
    const admin = new pg.Pool({ connectionString: cluster.url, max: 2 });
    admin.on('error', () => {});
    try {
      await runMigrations(cluster.url, 'up', createLogger('silent'), { routines: SQL_ROUTINES });
      await outageDuringTraffic(upstream, { appUrl: cluster.url, admin, embedded: false, down: cluster.down, up: cluster.up });
    } finally {
      await admin.end();
      await cluster.stop();
    }
  });
});
