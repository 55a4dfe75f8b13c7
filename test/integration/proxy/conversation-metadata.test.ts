// Conversation titles (metadata) for the web app's list (issue 23): validated as OpenAI validates
// metadata before anything goes upstream, upstream's answer kept sealed and bound to owner and
// conversation, listed in one request, and gone (not marked) when the conversation or the
// account is deleted. The official openai SDK is the client where it has the call.
import { expect } from 'chai';
import OpenAI from 'openai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { dumpAllTables } from '../../support/privacy.ts';

interface Listed { data: Array<{ id: string; object: string; created_at: number; metadata: Record<string, string> }>; has_more: boolean }

describe('conversations: sealed metadata (titles) for the list', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let alice: { key: string; userId: string; client: OpenAI };
  let bob: { key: string; userId: string; client: OpenAI };

  const db = () => testDatabase().admin;
  const sealedRows = async (conversationId: string) =>
    (await db().query<{ sealed: Uint8Array; user_id: string }>('select sealed, user_id from conversation_metadata where conversation_id = $1', [conversationId])).rows;
  const list = async (key: string) => (await (await t.request('/v1/conversations', { key })).json()) as Listed;
  const post = (key: string, path: string, body: unknown) =>
    t.request(path, { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1` });
    const user = async () => {
      const u = await t.userWithKey();
      return { ...u, client: new OpenAI({ baseURL: `${t.url}/v1`, apiKey: u.key, maxRetries: 0 }) };
    };
    alice = await user();
    bob = await user();
  });
  after(async () => { await t.close(); await fake.close(); });
  beforeEach(() => fake.reset());

  it('lists the title given at creation in one request, kept sealed: no plaintext in the row', async () => {
    const title = 'Trip to Lisbon — packing list';
    const conv = await alice.client.conversations.create({ metadata: { title } });
    expect(JSON.parse(fake.requests.at(-1)!.body.toString()).metadata, 'the metadata went upstream as sent').to.deep.equal({ title });
    fake.reset();
    const listed = await list(alice.key);
    expect(listed.data.find((c) => c.id === conv.id)).to.deep.equal({ id: conv.id, object: 'conversation', created_at: listed.data.find((c) => c.id === conv.id)!.created_at, metadata: { title } });
    expect(fake.requests, 'listing asks upstream nothing').to.have.length(0);
    const [row] = await sealedRows(conv.id);
    expect(row!.user_id).to.equal(alice.userId);
    expect(Buffer.from(row!.sealed).toString('utf8')).to.not.contain('Lisbon');
    expect(await dumpAllTables()).to.not.contain('Lisbon');
  });

  it('rename replaces the whole metadata, as OpenAI does, and the list shows what upstream answered', async () => {
    const conv = await alice.client.conversations.create({ metadata: { title: 'first', pinned: 'true' } });
    const updated = await alice.client.conversations.update(conv.id, { metadata: { title: 'second' } });
    expect(updated.metadata).to.deep.equal({ title: 'second' });
    expect((await list(alice.key)).data.find((c) => c.id === conv.id)!.metadata).to.deep.equal({ title: 'second' });
  });

  it('a conversation without metadata, or whose metadata is cleared with null, lists {} and keeps no row', async () => {
    const bare = await alice.client.conversations.create({});
    expect((await list(alice.key)).data.find((c) => c.id === bare.id)!.metadata).to.deep.equal({});
    expect(await sealedRows(bare.id)).to.have.length(0);
    const titled = await alice.client.conversations.create({ metadata: { title: 'to be cleared' } });
    expect(await sealedRows(titled.id)).to.have.length(1);
    const res = await post(alice.key, `/v1/conversations/${titled.id}`, { metadata: null });
    expect(res.status).to.equal(200);
    expect(await sealedRows(titled.id)).to.have.length(0);
    expect((await list(alice.key)).data.find((c) => c.id === titled.id)!.metadata).to.deep.equal({});
  });

  const invalid: Array<[string, unknown, string]> = [
    ['17 keys', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])), 'metadata'],
    ['a key of 65 characters', { ['k'.repeat(65)]: 'v' }, 'metadata'],
    ['a value of 513 characters', { title: 'x'.repeat(513) }, 'metadata.title'],
    ['a value that is not a string', { title: 'ok', pinned: true }, 'metadata.pinned'],
    ['an array', ['title'], 'metadata'],
    ['a string', 'title', 'metadata'],
  ];
  for (const [what, metadata, param] of invalid) {
    it(`refuses metadata with ${what} (400, param ${param}) on create and on update, sending nothing upstream`, async () => {
      const conv = await alice.client.conversations.create({ metadata: { title: 'kept' } });
      fake.reset();
      for (const path of ['/v1/conversations', `/v1/conversations/${conv.id}`]) {
        const res = await post(alice.key, path, { metadata });
        expect(res.status, path).to.equal(400);
        const body = await res.json();
        expect(body.error).to.include({ type: 'invalid_request_error', code: 'invalid_request', param });
      }
      expect(fake.requests, 'nothing went upstream').to.have.length(0);
      expect((await list(alice.key)).data.find((c) => c.id === conv.id)!.metadata, 'the title is unchanged').to.deep.equal({ title: 'kept' });
    });
  }

  it('accepts the limits themselves: 16 keys, 64-character keys, 512-character values', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`${i}`.padEnd(64, 'k'), 'v'.repeat(512)]));
    const conv = await alice.client.conversations.create({ metadata });
    expect((await list(alice.key)).data.find((c) => c.id === conv.id)!.metadata).to.deep.equal(metadata);
  });

  it("renaming someone else's conversation is the 404 of an unknown one: nothing upstream, their title unchanged", async () => {
    const theirs = await bob.client.conversations.create({ metadata: { title: "bob's" } });
    fake.reset();
    const res = await post(alice.key, `/v1/conversations/${theirs.id}`, { metadata: { title: 'hijacked' } });
    expect(res.status).to.equal(404);
    expect(fake.requests).to.have.length(0);
    expect((await list(bob.key)).data.find((c) => c.id === theirs.id)!.metadata).to.deep.equal({ title: "bob's" });
    expect((await list(alice.key)).data.map((c) => c.id)).to.not.include(theirs.id);
  });

  it('a sealed title moved to another conversation row does not open there (bound to owner and conversation)', async () => {
    const a = await alice.client.conversations.create({ metadata: { title: 'secret plans' } });
    const b = await alice.client.conversations.create({ metadata: { title: 'groceries' } });
    await db().query('update conversation_metadata set sealed = (select sealed from conversation_metadata where conversation_id = $1) where conversation_id = $2', [a.id, b.id]);
    const listed = await list(alice.key);
    expect(listed.data.find((c) => c.id === b.id)!.metadata).to.deep.equal({});
    expect(listed.data.find((c) => c.id === a.id)!.metadata).to.deep.equal({ title: 'secret plans' });
    expect(t.logs.lines().join('\n')).to.contain('conversations.metadata_unreadable').and.not.contain('secret plans');
  });

  it('upstream refusing an update keeps the old title (only a success is kept)', async () => {
    const conv = await alice.client.conversations.create({ metadata: { title: 'before' } });
    fake.refuseNext = 1;
    const res = await post(alice.key, `/v1/conversations/${conv.id}`, { metadata: { title: 'after' } });
    expect(res.status).to.equal(400);
    expect(fake.requests.at(-1)!.path).to.equal(`/v1/conversations/${conv.id}`);
    expect((await list(alice.key)).data.find((c) => c.id === conv.id)!.metadata).to.deep.equal({ title: 'before' });
  });

  it('deleting the conversation deletes the sealed copy (the row is gone, not marked)', async () => {
    const conv = await alice.client.conversations.create({ metadata: { title: 'short-lived' } });
    expect(await sealedRows(conv.id)).to.have.length(1);
    await alice.client.conversations.delete(conv.id);
    expect(await sealedRows(conv.id)).to.have.length(0);
    expect((await list(alice.key)).data.map((c) => c.id)).to.not.include(conv.id);
  });

  it('a conversation already gone upstream: the 404 is passed on, and Cloister forgets it and its title too', async () => {
    const conv = await alice.client.conversations.create({ metadata: { title: 'deleted elsewhere' } });
    expect((await fetch(`${fake.url}/v1/conversations/${conv.id}`, { method: 'DELETE' })).status).to.equal(200);
    const res = await t.request(`/v1/conversations/${conv.id}`, { key: alice.key, method: 'DELETE' });
    expect(res.status).to.equal(404);
    expect(await sealedRows(conv.id)).to.have.length(0);
    expect((await list(alice.key)).data.map((c) => c.id)).to.not.include(conv.id);
  });

  it('deleting the account deletes every sealed copy of its titles', async () => {
    const carol = await t.userWithKey();
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: carol.key, maxRetries: 0 });
    await client.conversations.create({ metadata: { title: 'one' } });
    await client.conversations.create({ metadata: { title: 'two' } });
    const count = async () => Number((await db().query('select count(*) from conversation_metadata where user_id = $1', [carol.userId])).rows[0].count);
    expect(await count()).to.equal(2);
    const res = await t.request('/v1/users/me', { key: carol.key, method: 'DELETE' });
    expect(res.status).to.equal(200);
    expect(await count()).to.equal(0);
  });

  it('the OpenAPI document states the metadata limits and the listing row shape', async () => {
    const doc = await (await t.request('/openapi.json')).json();
    for (const path of ['/v1/conversations', '/v1/conversations/{id}']) {
      const metadata = doc.paths[path].post.requestBody.content['application/json'].schema.properties.metadata;
      expect(metadata.anyOf[0], path).to.include({ maxProperties: 16 });
      expect(JSON.stringify(metadata), path).to.contain('"maxLength":512').and.contain('{0,64}');
    }
    const row = doc.paths['/v1/conversations'].get.responses['200'].content['application/json'].schema.properties.data.items;
    expect(row.required).to.have.members(['id', 'object', 'created_at', 'metadata']);
  });

  it('pages keep metadata with each row (limit and after)', async () => {
    const dave = await t.userWithKey();
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: dave.key, maxRetries: 0 });
    const made = [];
    for (let i = 0; i < 3; i++) {
      made.push(await client.conversations.create({ metadata: { title: `n${i}` } }));
      t.clock.advance(1000);
    }
    const first = (await (await t.request('/v1/conversations?limit=2', { key: dave.key })).json()) as Listed;
    expect(first.data.map((c) => c.metadata.title)).to.deep.equal(['n2', 'n1']);
    expect(first.has_more).to.equal(true);
    const second = (await (await t.request(`/v1/conversations?limit=2&after=${first.data[1]!.id}`, { key: dave.key })).json()) as Listed;
    expect(second.data.map((c) => c.metadata.title)).to.deep.equal(['n0']);
  });
});
