import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { adminWithKey, sender } from '../../support/admin-helpers.ts';

describe('admin: usage aggregates', () => {
  let t: TestApp;
  let send: ReturnType<typeof sender>;
  let admin: { userId: string; key: string };
  const ids: string[] = [];
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp();
    t.clock.set('2026-03-20T08:00:00Z');
    send = sender(t);
    admin = await adminWithKey(t);
    ids.length = 0;
    for (const n of [1, 2, 3]) ids.push((await t.app.services.users.createUser({ email: `u${n}@example.com` })).id);
    // user 1: 300 tokens, user 2: 1000, user 3: 50 (all in March); plus February rows outside the default range
    await testDatabase().admin.query(`insert into usage_daily (user_id, day, model, requests, input_tokens, output_tokens, requests_without_usage, estimated_tokens) values
      ($1, '2026-03-01', 'small', 1, 100, 100, 0, 0),
      ($1, '2026-03-02', 'big', 2, 50, 50, 0, 0),
      ($2, '2026-03-02', 'big', 4, 400, 500, 1, 100),
      ($3, '2026-03-05', 'small', 1, 0, 0, 1, 50),
      ($2, '2026-02-27', 'big', 9, 9000, 9000, 0, 0)`, ids);
  });
  afterEach(() => t.close());

  const get = async (query: string) => {
    const res = await send('GET', `/v1/admin/usage${query}`, { key: admin.key });
    return { status: res.status, body: await res.json() };
  };
  const sums = (requests: number, input: number, output: number, estimated: number, without: number) => ({
    requests, input_tokens: input, output_tokens: output, estimated_tokens: estimated, requests_without_usage: without,
  });

  it('groups by day over this month by default', async () => {
    const { status, body } = await get('');
    expect(status).to.equal(200);
    expect(body).to.include({ object: 'list', group_by: 'day', from: '2026-03-01', to: '2026-03-20', has_more: false });
    expect(body.data).to.deep.equal([
      { object: 'usage.aggregate', date: '2026-03-01', ...sums(1, 100, 100, 0, 0) },
      { object: 'usage.aggregate', date: '2026-03-02', ...sums(6, 450, 550, 100, 1) },
      { object: 'usage.aggregate', date: '2026-03-05', ...sums(1, 0, 0, 50, 1) },
    ]);
  });

  it('groups by model, most tokens first, within from..to inclusive', async () => {
    const { body } = await get('?group_by=model&from=2026-02-27&to=2026-03-02');
    expect(body.data).to.deep.equal([
      { object: 'usage.aggregate', model: 'big', ...sums(15, 9450, 9550, 100, 1) },
      { object: 'usage.aggregate', model: 'small', ...sums(1, 100, 100, 0, 0) },
    ]);
  });

  it('lists the top users by tokens, with has_more past the limit', async () => {
    const { body } = await get('?group_by=user&limit=2');
    expect(body.data).to.deep.equal([
      { object: 'usage.aggregate', user_id: ids[1], email: 'u2@example.com', ...sums(4, 400, 500, 100, 1) },
      { object: 'usage.aggregate', user_id: ids[0], email: 'u1@example.com', ...sums(3, 150, 150, 0, 0) },
    ]);
    expect(body.has_more).to.equal(true);
    expect((await get('?group_by=user&limit=3')).body.has_more).to.equal(false);
  });

  it('refuses bad parameters with an OpenAI error naming them', async () => {
    for (const [query, param] of [
      ['?from=2026-3-1', 'from'], ['?from=2026-02-30', 'from'], ['?to=yesterday', 'to'], ['?from=2026-03-10&to=2026-03-01', 'from'],
      ['?from=2024-01-01&to=2026-03-01', 'from'], ['?group_by=week', 'group_by'], ['?group_by=user&limit=101', 'limit'], ['?group_by=day&group_by=user', 'group_by'],
    ] as const) {
      const res = await get(query);
      expect(res.status, query).to.equal(400);
      expect(res.body.error.param, query).to.equal(param);
    }
  });
});
