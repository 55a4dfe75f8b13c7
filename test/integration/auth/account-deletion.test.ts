import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { sessionCookieFor } from '../../support/session-helpers.ts';

const ORIGIN = 'http://localhost:8080';

describe('account deletion deletes conversations upstream', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  beforeEach(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ PUBLIC_URL: ORIGIN, OPENAI_BASE_URL: `${fake.url}/v1` });
  });
  afterEach(async () => {
    await t.close();
    await fake.close();
  });

  async function userWithConversations(n: number) {
    const u = await t.userWithKey();
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const res = await t.request('/v1/conversations', { method: 'POST', key: u.key, headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).to.equal(200);
      ids.push((await res.json()).id);
    }
    return { ...u, ids, cookie: await sessionCookieFor(t, u.userId) };
  }

  it('deletes each owned conversation upstream, then every ownership row', async () => {
    const u = await userWithConversations(2);
    const other = await userWithConversations(1);
    const res = await t.request('/v1/users/me', { method: 'DELETE', headers: { cookie: u.cookie, origin: ORIGIN } });
    expect((await res.json()).failed_conversations).to.deep.equal([]);
    const deleted = fake.requests.filter((r) => r.method === 'DELETE').map((r) => r.path).sort();
    expect(deleted).to.deep.equal(u.ids.map((id) => `/v1/conversations/${id}`).sort());
    const rows = (await testDatabase().admin.query('select user_id from owned_objects')).rows;
    expect(rows).to.deep.equal([{ user_id: other.userId }]);
  });

  it('reports conversations it could not delete and still deletes the account', async () => {
    const u = await userWithConversations(1);
    await fake.close();
    const res = await t.request('/v1/users/me', { method: 'DELETE', headers: { cookie: u.cookie, origin: ORIGIN } });
    expect(res.status).to.equal(200);
    expect((await res.json()).failed_conversations).to.deep.equal(u.ids);
    expect((await testDatabase().admin.query('select count(*)::int as n from users')).rows[0].n).to.equal(0);
  });
});
