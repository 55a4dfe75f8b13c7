import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { sessionCookieFor } from '../../support/session-helpers.ts';

const ORIGIN = 'http://localhost:8080';

describe('account deletion deletes what the user owns upstream', () => {
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

  const infer = async (key: string, path: string, body: Record<string, unknown>) => {
    const res = await t.request(path, { method: 'POST', key, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fake-model', ...body }) });
    expect(res.status).to.equal(200);
    return (await res.json()).id as string;
  };

  it('deletes each owned conversation upstream, then every ownership row', async () => {
    const u = await userWithConversations(2);
    const other = await userWithConversations(1);
    const res = await t.request('/v1/users/me', { method: 'DELETE', headers: { cookie: u.cookie, origin: ORIGIN } });
    expect((await res.json()).failed_objects).to.deep.equal([]);
    const deleted = fake.requests.filter((r) => r.method === 'DELETE').map((r) => r.path).sort();
    expect(deleted).to.deep.equal(u.ids.map((id) => `/v1/conversations/${id}`).sort());
    const rows = (await testDatabase().admin.query('select user_id from owned_objects')).rows;
    expect(rows).to.deep.equal([{ user_id: other.userId }]);
  });

  // Finding 18.10: stored responses and chat completions stayed upstream, and the internal user
  // id went upstream in x-request-id.
  it('deletes stored responses and chat completions too, and sends nothing of the user upstream', async () => {
    const u = await userWithConversations(1);
    const response = await infer(u.key, '/v1/responses', { input: 'hi' });
    const completion = await infer(u.key, '/v1/chat/completions', { store: true, messages: [{ role: 'user', content: 'hi' }] });
    const unstored = await infer(u.key, '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] });
    fake.reset();
    const res = await t.request('/v1/users/me', { method: 'DELETE', headers: { cookie: u.cookie, origin: ORIGIN } });
    expect((await res.json()).failed_objects).to.deep.equal([]);
    const deletes = fake.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.path).sort()).to.deep.equal([`/v1/chat/completions/${completion}`, `/v1/conversations/${u.ids[0]}`, `/v1/responses/${response}`].sort());
    expect(deletes.map((r) => r.path)).not.to.include(`/v1/chat/completions/${unstored}`);
    for (const r of deletes) {
      expect(JSON.stringify(r.headers), 'no user id in any header').not.to.contain(u.userId);
      expect(r.headers['x-request-id']).to.match(/^req_[0-9a-f]{24}$/);
    }
    expect(new Set(deletes.map((r) => r.headers['x-request-id'])).size).to.equal(deletes.length);
  });

  it('reports conversations it could not delete and still deletes the account', async () => {
    const u = await userWithConversations(1);
    await fake.close();
    const res = await t.request('/v1/users/me', { method: 'DELETE', headers: { cookie: u.cookie, origin: ORIGIN } });
    expect(res.status).to.equal(200);
    expect((await res.json()).failed_objects).to.deep.equal(u.ids);
    expect((await testDatabase().admin.query('select count(*)::int as n from users')).rows[0].n).to.equal(0);
  });
});
