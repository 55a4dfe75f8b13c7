import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { adminWithKey, sender } from '../../support/admin-helpers.ts';

interface AdminUser { id: string; email: string; created_at: number; tier: string; disabled: boolean; is_admin: boolean; usage_this_month: Record<string, unknown> }

describe('admin: listing and searching users', () => {
  let t: TestApp;
  let send: ReturnType<typeof sender>;
  let admin: { userId: string; key: string };
  const ids: Record<string, string> = {};
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({}, {});
    t.clock.set('2026-03-10T12:00:00Z');
    send = sender(t);
    admin = await adminWithKey(t, 'root@example.com');
    for (const name of ['alice', 'bob', 'Bobby', 'carol', 'dave_x']) {
      t.clock.advance(60_000); // distinct creation times: newest first is well defined
      ids[name] = (await t.app.services.users.createUser({ email: `${name}@example.com` })).id;
    }
  });
  afterEach(() => t.close());

  const get = async (path: string) => {
    const res = await send('GET', path, { key: admin.key });
    return { status: res.status, body: await res.json() };
  };

  it('lists users newest first in the OpenAI list shape and pages with after', async () => {
    const first = await get('/v1/admin/users?limit=2');
    expect(first.status).to.equal(200);
    expect(first.body).to.include({ object: 'list', has_more: true });
    expect(first.body.data.map((u: AdminUser) => u.email)).to.deep.equal(['dave_x@example.com', 'carol@example.com']);
    expect(first.body.first_id).to.equal(ids.dave_x);
    expect(first.body.last_id).to.equal(ids.carol);
    const seen: string[] = first.body.data.map((u: AdminUser) => u.email);
    let after = first.body.last_id;
    for (;;) {
      const page = await get(`/v1/admin/users?limit=2&after=${after}`);
      seen.push(...page.body.data.map((u: AdminUser) => u.email));
      if (!page.body.has_more) break;
      after = page.body.last_id;
    }
    expect(seen).to.deep.equal(['dave_x', 'carol', 'Bobby', 'bob', 'alice', 'root'].map((n) => `${n}@example.com`));
  });

  it('shows each user\'s id, dates, tier, overrides, state and this month\'s usage', async () => {
    const { admin: db } = testDatabase();
    await db.query(`update users set tier = 'pro', limit_overrides = '{"rpm": 5}' where id = $1`, [ids.bob]);
    await db.query(`insert into usage_daily (user_id, day, model, requests, input_tokens, output_tokens, requests_without_usage, estimated_tokens) values
      ($1, '2026-03-01', 'm1', 2, 10, 20, 0, 0), ($1, '2026-03-09', 'm2', 3, 5, 6, 1, 7), ($1, '2026-02-28', 'm1', 100, 100, 100, 0, 0)`, [ids.bob]);
    const { body } = await get(`/v1/admin/users/${ids.bob}`);
    expect(body).to.deep.equal({
      object: 'admin.user', id: ids.bob, email: 'bob@example.com', created_at: Math.floor(Date.parse('2026-03-10T12:02:00Z') / 1000), last_active_at: null,
      disabled: false, disabled_at: null, is_admin: false, tier: 'pro', limit_overrides: { rpm: 5 },
      usage_this_month: { since: '2026-03-01', requests: 5, input_tokens: 15, output_tokens: 26, estimated_tokens: 7 },
    });
    const listed = (await get('/v1/admin/users?limit=100')).body.data as AdminUser[];
    expect(listed.find((u) => u.id === ids.bob)).to.deep.equal(body);
    expect(listed.find((u) => u.id === ids.alice)!.usage_this_month).to.include({ requests: 0, input_tokens: 0 });
    expect(listed.find((u) => u.id === admin.userId)!.is_admin).to.equal(true);
  });

  it('searches by email substring, case-insensitively, with LIKE wildcards taken literally, or by exact id', async () => {
    const emails = async (q: string) => ((await get(`/v1/admin/users?query=${encodeURIComponent(q)}`)).body.data as AdminUser[]).map((u) => u.email);
    expect(await emails('BOB')).to.deep.equal(['Bobby@example.com', 'bob@example.com']);
    expect(await emails('_')).to.deep.equal(['dave_x@example.com']);
    expect(await emails('%')).to.deep.equal([]);
    expect(await emails(ids.carol!)).to.deep.equal(['carol@example.com']);
    expect(await emails('nobody')).to.deep.equal([]);
  });

  it('refuses bad parameters with an OpenAI error naming them', async () => {
    for (const [path, param, status] of [
      ['/v1/admin/users?limit=0', 'limit', 400], ['/v1/admin/users?limit=101', 'limit', 400], ['/v1/admin/users?limit=x', 'limit', 400],
      ['/v1/admin/users?limit=1&limit=2', 'limit', 400], [`/v1/admin/users?query=${'q'.repeat(321)}`, 'query', 400],
      ['/v1/admin/users?after=00000000-0000-4000-8000-000000000000', 'after', 404], ['/v1/admin/users?after=nope', 'after', 404],
      ['/v1/admin/users/00000000-0000-4000-8000-000000000000', 'id', 404], ['/v1/admin/users/not-a-uuid', 'id', 404],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).to.equal(status);
      expect(res.body.error.param, path).to.equal(param);
    }
  });
});
