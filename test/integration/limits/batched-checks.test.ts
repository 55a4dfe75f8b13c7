// Several requests' limit checks in one statement (acquireMany): each answer goes back to its own
// request, checks of one user inside a batch see each other, and two batches naming the same
// users in opposite orders on two connections both complete (the checks run sorted by user).
// The same for settlements (settleMany): every exchange in a batch is charged and recorded.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { acquireMany, settleMany, type AcquireArgs, type SettleArgs } from '../../../src/limits/queries.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const UNLIMITED = JSON.stringify({ default: { rpm: null, tpm: null, concurrency: null, daily_tokens: null, monthly_tokens: null } });

describe('limits: batched checks', () => {
  let users: string[];

  beforeEach(async () => {
    await resetDatabase();
    const db = testDatabase().admin;
    users = [];
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      const res = await db.query<{ id: string }>(`insert into users (id, email, created_at, limit_overrides) values (gen_random_uuid(), $1, now(), '{"rpm": 1}') returning id`, [email]);
      users.push(res.rows[0]!.id);
    }
  });

  const check = (userId: string, nowMs = NOW): AcquireArgs => ({
    userId, keyId: null, nowMs, leaseId: randomUUID(), leaseExpiresMs: nowMs + 60_000, reserveTokens: 1, model: 'm', day: '2026-03-10', month: '2026-03-01',
  });

  it('answers each request in the order given, whatever order the checks ran in', async () => {
    const [a, b, c] = [...users].sort(); // a < b < c, so the batch below runs reordered
    const rows = await acquireMany(testDatabase().admin, false, UNLIMITED, [check(c!), check(a!), check(c!), check(b!), check(a!)]);
    expect(rows.map((r) => r.verdict)).to.deep.equal(['ok', 'ok', 'requests', 'ok', 'requests']);
    expect(rows.map((r) => r.requests?.limit)).to.deep.equal([1, 1, 1, 1, 1]);
    expect(rows[2]!.retryMs).to.be.greaterThan(0);
    const buckets = await testDatabase().admin.query('select count(*)::int as n from rate_limit_buckets');
    expect(buckets.rows[0].n, 'one request bucket per user').to.equal(3);
  });

  it('two batches with the same users in opposite orders, on two connections at once, both complete', async () => {
    const url = testDatabase().url;
    const one = new pg.Pool({ connectionString: url, max: 1 });
    const two = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const later = NOW + 120_000;
      const [x, y] = await Promise.all([
        acquireMany(one, false, UNLIMITED, users.map((u) => check(u, later))),
        acquireMany(two, false, UNLIMITED, [...users].reverse().map((u) => check(u, later))),
      ]);
      const verdicts = [...x, ...y].map((r) => r.verdict).sort();
      expect(verdicts, 'each user has one request a minute: one of the two batches gets it').to.deep.equal(['ok', 'ok', 'ok', 'requests', 'requests', 'requests']);
    } finally {
      await one.end();
      await two.end();
    }
  });

  it('settles a batch: every exchange charged to its token buckets and counted in usage, also from two connections at once', async () => {
    // Each exchange was admitted with a reservation of one token under 60,000 tokens a minute.
    const reservations: string[] = [];
    const settle = (userId: string, model: string, tokens: number): SettleArgs => {
      const id = randomUUID();
      reservations.push(`('${id}', '${userId}', 1, 60000, '${model}', ${NOW + 60_000})`);
      return { userId, keyId: null, nowMs: NOW, leaseId: id, reserved: true, tokens, keepUntilMs: null, record: { day: '2026-03-10', model, input: tokens - 1, output: 1, estimated: 0 } };
    };
    const [a, b, c] = users as [string, string, string];
    const batches = [[settle(c, 'm1', 10), settle(a, 'm2', 20), settle(c, 'm1', 30), settle(b, 'm1', 40)], [settle(b, 'm1', 5), settle(a, 'm2', 6), settle(c, 'm1', 7)]];
    await testDatabase().admin.query(`insert into admissions (id, user_id, tokens, user_tpm, model, expires_at) values ${reservations.join(', ')}`);
    const url = testDatabase().url;
    const one = new pg.Pool({ connectionString: url, max: 1 });
    const two = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await Promise.all([
        settleMany(one, false, batches[0]!),
        settleMany(two, false, batches[1]!),
      ]);
    } finally {
      await one.end();
      await two.end();
    }
    const usage = await testDatabase().admin.query<{ user_id: string; model: string; requests: number; tokens: number }>(
      'select user_id, model, requests::int as requests, (input_tokens + output_tokens)::int as tokens from usage_daily order by user_id, model');
    const expected = [
      { user_id: a, model: 'm2', requests: 2, tokens: 26 },
      { user_id: b, model: 'm1', requests: 2, tokens: 45 },
      { user_id: c, model: 'm1', requests: 3, tokens: 47 },
    ].sort((x, y) => (x.user_id < y.user_id ? -1 : 1));
    expect(usage.rows).to.deep.equal(expected);
    // 60,000 tokens a minute is one token a millisecond: the bucket stands that many ms ahead.
    expect((await testDatabase().admin.query('select count(*)::int as n from admissions')).rows[0].n, 'every reservation settled').to.equal(0);
    const buckets = await testDatabase().admin.query<{ bucket: string; ahead: number }>(
      `select bucket, tat - $1 as ahead from rate_limit_buckets where bucket like 'inference:tokens:user:%' order by bucket`, [NOW]);
    expect(Object.fromEntries(buckets.rows.map((r) => [r.bucket.slice('inference:tokens:user:'.length), Math.round(r.ahead)])))
      .to.deep.equal({ [a]: 26, [b]: 45, [c]: 47 });
  });
});
