// A replica killed with SIGKILL mid-stream: real `cloister serve` processes, each in its own
// process group. On real Postgres two replicas share the database; the one holding a stream is
// killed, and the other keeps serving (a stream of its own carries on, new requests succeed),
// the id the killed one had shown is owned, and its admission expires with its lease: the
// user (concurrency 1) is refused until then and served after. The embedded database is one
// process's (a second server on its DATA_DIR exits): there the server is killed mid-stream and
// restarted on the same DATA_DIR — the embedded database's restart — taking the dead process's
// lock over, with the same checks. Leases last RATE_LIMIT_LEASE_TTL_SECONDS=5, the shortest the
// config allows; the expiry is waited for by polling up to a deadline, and the first success is
// checked to come no earlier than the expiry the database recorded.
import { expect } from 'chai';
import pg from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli.ts';
import { startEmbeddedPostgres } from '../../src/db/embedded.ts';
import { resetDatabase, testDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/log-capture.ts';
import { startFaultUpstream, type FaultUpstream } from './support/fault-upstream.ts';
import { startServeChild, type ServeChild } from './support/serve-child.ts';
import { expectOwned, idsIn, readAnswer } from './support/fault-checks.ts';

const LEASE_TTL_SECONDS = 5;

/** Creates a user and an API key through the CLI (as an operator would); returns the key and id. */
async function userWithKey(env: Record<string, string>, email: string): Promise<{ key: string; userId: string }> {
  const ids: string[] = [];
  expect(await main(['users', 'create', '--email', email], { env, stdout: (l) => ids.push(l), stderr: () => {} })).to.equal(0);
  const out: string[] = [];
  expect(await main(['keys', 'create', '--email', email], { env, stdout: (l) => out.push(l), stderr: () => {} })).to.equal(0);
  return { key: out.at(-1)!, userId: ids.at(-1)! };
}

const chat = (url: string, key: string, model: string, stream: boolean, signal?: AbortSignal) => fetch(`${url}/v1/chat/completions`, {
  method: 'POST', signal, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ model, stream, store: true, messages: [{ role: 'user', content: 'hi' }] }),
});

/** Opens a stream upstream stalls mid-way; resolves with what the client read first. */
async function openStream(url: string, key: string) {
  const ac = new AbortController();
  const res = await chat(url, key, 'fault:stall:mid-stream', true, ac.signal);
  expect(res.status).to.equal(200);
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(idsIn(first)).to.have.length(1);
  return { ac, reader, first };
}

/** The user's admission's expiry (ms since the epoch), as the database recorded it. */
async function expiryOf(db: pg.Pool, userId: string): Promise<number> {
  const rows = await db.query('select expires_at from admissions where user_id = $1', [userId]);
  expect(rows.rows, 'the killed replica\'s admission is still there').to.have.length(1);
  return Number(rows.rows[0].expires_at);
}

/** The user is refused (concurrency 1) while the dead replica's lease lives, and served once it expired. */
async function expectServedOnlyAfter(url: string, key: string, expiresAt: number): Promise<void> {
  const refused = await chat(url, key, 'ok', false);
  if (Date.now() < expiresAt - 500) {
    expect(refused.status, 'refused while the dead replica\'s lease lives').to.equal(429);
    expect(((await refused.json()) as { error: { message: string } }).error.message).to.contain('concurrent');
  } else {
    await refused.body?.cancel();
  }
  const deadline = expiresAt + 15_000;
  for (;;) {
    const res = await readAnswer(await chat(url, key, 'ok', false));
    if (res.status === 200) {
      expect(Date.now(), 'served no earlier than the lease expired').to.be.at.least(expiresAt);
      return;
    }
    expect(res.status, res.text).to.equal(429);
    if (Date.now() > deadline) expect.fail('the dead replica\'s lease never expired');
    await new Promise((r) => setTimeout(r, 200)); // poll the live server, bounded by the deadline
  }
}

/** No unexpired admission is left (a left stream gives its own back just after upstream saw it leave). */
async function expectNoLiveAdmission(db: pg.Pool): Promise<void> {
  const live = async () => Number((await db.query('select count(*) from admissions where expires_at > $1', [Date.now()])).rows[0].count);
  await waitFor(async () => await live() === 0, 5000).catch(() => {});
  expect(await live(), 'no live admission left').to.equal(0);
}

describe('fault: a replica killed with SIGKILL mid-stream', function () {
  this.timeout(120_000);
  let upstream: FaultUpstream;
  const children: ServeChild[] = [];
  before(async () => { upstream = await startFaultUpstream(); });
  after(() => upstream.close());
  beforeEach(async () => { await resetDatabase(); upstream.reset(); });
  afterEach(async () => {
    for (const c of children.splice(0)) { c.signal('SIGKILL'); await c.exited; }
  });

  const limits = { RATE_LIMIT_CONCURRENCY: '1', RATE_LIMIT_LEASE_TTL_SECONDS: String(LEASE_TTL_SECONDS) };

  it('real Postgres: the other replica keeps serving, ownership holds, the dead one\'s lease expires', async function () {
    if (testDatabase().kind === 'embedded') this.skip(); // the embedded case is the next test
    const dir = await mkdtemp(join(tmpdir(), 'cloister-replica-'));
    try {
      const env = { DATABASE_URL: testDatabase().url, DATA_DIR: dir, OPENAI_BASE_URL: `${upstream.url}/v1`, ...limits };
      const [a, b] = await Promise.all([startServeChild(env), startServeChild(env)]);
      children.push(a, b);
      const one = await userWithKey(env, 'killed-mid-stream@example.com');
      const two = await userWithKey(env, 'on-the-survivor@example.com');
      const onA = await openStream(a.url, two.key);
      const onB = await openStream(b.url, one.key);
      const upstreamOfB = upstream.requests.at(-1)!;

      b.signal('SIGKILL');
      expect((await b.exited).signal).to.equal('SIGKILL');
      await upstreamOfB.clientClosed; // the kernel closed the dead replica's upstream connection
      await onB.reader.read().then(() => {}, () => {}); // the client's stream ends with its process

      const db = testDatabase().admin;
      await expectOwned(db, one.userId, idsIn(onB.first));
      await expectOwned(db, two.userId, idsIn(onA.first));
      const expiresAt = await expiryOf(db, one.userId);
      // The survivor: its own stream is still open, and it answers others at once.
      const other = await readAnswer(await chat(a.url, (await userWithKey(env, 'third@example.com')).key, 'ok', true));
      expect(other.status).to.equal(200);
      expect(other.text).to.contain('data: [DONE]');
      await expectServedOnlyAfter(a.url, one.key, expiresAt);
      onA.ac.abort();
      await upstream.requests.find((r) => r !== upstreamOfB && r.model.startsWith('fault:'))!.clientClosed;
      await expectNoLiveAdmission(db);
      a.signal('SIGTERM');
      expect((await a.exited).code, 'the survivor stops cleanly').to.equal(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('embedded: the server killed mid-stream restarts on its DATA_DIR; ownership holds, the lease expires', async function () {
    if (testDatabase().kind !== 'embedded') this.skip(); // on real Postgres, the test above
    const dir = await mkdtemp(join(tmpdir(), 'cloister-embedded-kill-'));
    try {
      const env = { DATA_DIR: dir, OPENAI_BASE_URL: `${upstream.url}/v1`, ...limits };
      const first = await startServeChild(env);
      children.push(first);
      const one = await userWithKey({ DATA_DIR: dir }, 'killed-mid-stream@example.com');
      const open = await openStream(first.url, one.key);
      const upstreamOfFirst = upstream.requests.at(-1)!;
      first.signal('SIGKILL');
      expect((await first.exited).signal).to.equal('SIGKILL');
      await upstreamOfFirst.clientClosed;
      await open.reader.read().then(() => {}, () => {});

      // Restarted on the same DATA_DIR: the dead process's lock is taken over, its data intact.
      const second = await startServeChild(env);
      children.push(second);
      const joined = await startEmbeddedPostgres(dir, { role: 'cli' });
      const db = new pg.Pool({ connectionString: joined.url, max: 1 });
      db.on('error', () => {});
      try {
        await expectOwned(db, one.userId, idsIn(open.first));
        const expiresAt = await expiryOf(db, one.userId);
        await expectServedOnlyAfter(second.url, one.key, expiresAt);
        await expectNoLiveAdmission(db);
      } finally {
        await db.end();
        await joined.stop();
      }
      second.signal('SIGTERM');
      expect((await second.exited).code, 'the restarted server stops cleanly').to.equal(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
