// End to end with the official openai SDK as the client, Cloister in the middle and the fake
// upstream behind it.
import { expect } from 'chai';
import OpenAI from 'openai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

describe('proxy: end to end with the openai SDK', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let client: OpenAI;
  let key: string;

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'sk-upstream-server-key' });
    key = (await t.userWithKey()).key;
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });
  });
  after(async () => { await t.close(); await fake.close(); });
  beforeEach(() => fake.reset());

  it('lists and retrieves models (ids with a slash too)', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).to.deep.equal(['fake-model', 'org/fake-model-2']);
    expect((await client.models.retrieve('org/fake-model-2')).id).to.equal('org/fake-model-2');
  });

  it('sends the server key upstream, never the client key', async () => {
    await client.models.list();
    const sent = fake.requests.at(-1)!;
    expect(sent.headers.authorization).to.equal('Bearer sk-upstream-server-key');
    expect(sent.headers['x-request-id']).to.match(/^req_/);
  });

  it('chat completion, not streamed, with usage counted', async () => {
    const res = await client.chat.completions.create({ model: 'fake-model', messages: [{ role: 'user', content: 'hi there' }] });
    expect(res.choices[0]!.message.content).to.contain('You said: hi there');
    expect(res.id).to.match(/^chatcmpl_/);
    const usage = await (await t.request('/v1/users/me/usage', { key })).json();
    expect(usage.data[0]).to.include({ model: 'fake-model', requests: 1, input_tokens: 11, output_tokens: 7 });
  });

  it('chat completion, streamed, arrives chunk by chunk and reassembles, with the final chunk\'s usage counted', async () => {
    type Day = { requests: number; input_tokens: number; output_tokens: number };
    const counted = async () => {
      const days = (await (await t.request('/v1/users/me/usage', { key })).json()).data as Day[];
      return days.reduce((a, d) => ({ requests: a.requests + d.requests, input: a.input + d.input_tokens, output: a.output + d.output_tokens }), { requests: 0, input: 0, output: 0 });
    };
    const before = await counted();
    const stream = await client.chat.completions.create({ model: 'fake-model', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream me' }] });
    let text = '';
    let chunks = 0;
    for await (const c of stream) { chunks++; text += c.choices[0]?.delta?.content ?? ''; }
    expect(chunks).to.be.greaterThan(5);
    expect(text).to.equal('Hello from the fake upstream. You said: stream me');
    const after = await counted();
    expect({ requests: after.requests - before.requests, input: after.input - before.input, output: after.output - before.output }).to.deep.equal({ requests: 1, input: 11, output: 7 });
  });

  it('stored chat completion: retrieve, messages, update, delete; then 404', async () => {
    const c = await client.chat.completions.create({ model: 'fake-model', store: true, messages: [{ role: 'user', content: 'keep me' }] });
    expect((await client.chat.completions.retrieve(c.id)).id).to.equal(c.id);
    const msgs = await client.chat.completions.messages.list(c.id);
    expect(msgs.data).to.have.length(1);
    await client.chat.completions.update(c.id, { metadata: { tag: 'x' } });
    await client.chat.completions.delete(c.id);
    const res = await t.request(`/v1/chat/completions/${c.id}`, { key });
    expect(res.status).to.equal(404);
  });

  it('responses: create, retrieve, input items, stream, resume a stream, cancel, delete', async () => {
    const r = await client.responses.create({ model: 'fake-model', input: 'first' });
    expect(r.output_text).to.contain('You said: first');
    expect((await client.responses.retrieve(r.id)).id).to.equal(r.id);
    expect((await client.responses.inputItems.list(r.id)).data).to.have.length(1);

    const stream = await client.responses.create({ model: 'fake-model', input: 'second', previous_response_id: r.id, stream: true });
    let text = '';
    let createdId = '';
    for await (const ev of stream) {
      if (ev.type === 'response.created') createdId = ev.response.id;
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
    expect(text).to.equal('Hello from the fake upstream. You said: second');
    expect(createdId).to.match(/^resp_/);

    const resumed = await t.request(`/v1/responses/${createdId}?stream=true&starting_after=3`, { key });
    expect(resumed.headers.get('content-type')).to.contain('text/event-stream');
    const body = await resumed.text();
    expect(body).to.not.contain('response.created');
    expect(body).to.contain('response.completed');

    expect((await client.responses.cancel(createdId)).status).to.equal('cancelled');
    await client.responses.delete(createdId);
    expect((await t.request(`/v1/responses/${createdId}`, { key })).status).to.equal(404);
  });

  it('background response returns an id the owner can poll', async () => {
    const r = await client.responses.create({ model: 'fake-model', input: 'later', background: true });
    expect(r.status).to.equal('queued');
    expect((await client.responses.retrieve(r.id)).status).to.equal('in_progress');
    fake.finishBackground(r.id);
    expect((await client.responses.retrieve(r.id)).status).to.equal('completed');
  });

  it('conversations: create, responses attached, items CRUD, update, delete', async () => {
    const conv = await client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'seed' }] });
    const r = await client.responses.create({ model: 'fake-model', input: 'in conversation', conversation: conv.id });
    expect(r.output_text).to.contain('in conversation');
    const rows = (await testDatabase().admin.query('select conversation_id from owned_objects where id = $1', [r.id])).rows;
    expect(rows).to.deep.equal([{ conversation_id: conv.id }]);

    const items = await client.conversations.items.list(conv.id);
    expect(items.data.length).to.equal(2);
    const added = await client.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: 'more' }] });
    const itemId = added.data[0]!.id!;
    expect((await client.conversations.items.retrieve(itemId, { conversation_id: conv.id })).id).to.equal(itemId);
    await client.conversations.items.delete(itemId, { conversation_id: conv.id });
    await client.conversations.update(conv.id, { metadata: { topic: 'x' } });
    expect((await client.conversations.retrieve(conv.id)).metadata).to.deep.equal({ topic: 'x' });
    await client.conversations.delete(conv.id);
    expect((await t.request(`/v1/conversations/${conv.id}`, { key })).status).to.equal(404);
  });

  it('lists the caller\'s own conversations newest first with cursor pagination', async () => {
    const { key } = await t.userWithKey();
    const mine = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await mine.conversations.create({})).id);
      t.clock.advance(1000);
    }
    const page1 = await (await t.request('/v1/conversations?limit=2', { key })).json();
    expect(page1.data.map((c: { id: string }) => c.id)).to.deep.equal([ids[4], ids[3]]);
    expect(page1).to.include({ object: 'list', has_more: true, first_id: ids[4], last_id: ids[3] });
    const page2 = await (await t.request(`/v1/conversations?limit=2&after=${page1.last_id}`, { key })).json();
    expect(page2.data.map((c: { id: string }) => c.id)).to.deep.equal([ids[2], ids[1]]);
    const page3 = await (await t.request(`/v1/conversations?limit=2&after=${page2.last_id}`, { key })).json();
    expect(page3.data.map((c: { id: string }) => c.id)).to.deep.equal([ids[0]]);
    expect(page3.has_more).to.equal(false);
    expect((await t.request('/v1/conversations?limit=101', { key })).status).to.equal(400);
  });

  it('embeddings', async () => {
    const e = await client.embeddings.create({ model: 'fake-model', input: 'vector me' });
    expect(e.data[0]!.embedding).to.deep.equal([0.1, 0.2, 0.3]);
  });
});
