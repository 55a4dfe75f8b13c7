// Promise 1: a unique string sent in prompts and returned in completions through every proxy
// route appears in no log line and in no row of any table. Titles (conversation metadata, kept
// sealed for the list) and custom instructions (sealed settings) are content too; bytea columns
// are searched decoded, so a plaintext copy inside one would show.
import { expect } from 'chai';
import OpenAI from 'openai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { dumpAllTables, canary } from '../../support/privacy.ts';

describe('proxy: privacy canary', () => {
  let fake: FakeUpstream;
  let t: TestApp;

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, LOG_LEVEL: 'trace' });
  });
  after(async () => { await t.close(); await fake.close(); });

  it('keeps prompts and completions out of every log line and every table', async () => {
    const secret = canary('prompt');
    const reply = canary('completion');
    fake.replyText = reply;
    const { key } = await t.userWithKey();
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });

    await client.chat.completions.create({ model: 'fake-model', store: true, messages: [{ role: 'user', content: secret }] });
    const s1 = await client.chat.completions.create({ model: 'fake-model', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: secret }] });
    for await (const _ of s1) { /* drain */ }
    const conv = await client.conversations.create({ metadata: { title: secret }, items: [{ type: 'message', role: 'user', content: secret }] });
    await client.conversations.update(conv.id, { metadata: { title: `${secret}-renamed` } });
    await client.conversations.items.create(conv.id, { items: [{ type: 'message', role: 'user', content: secret }] });
    const r = await client.responses.create({ model: 'fake-model', input: secret, conversation: conv.id, instructions: secret });
    const s2 = await client.responses.create({ model: 'fake-model', input: secret, previous_response_id: r.id, stream: true });
    for await (const _ of s2) { /* drain */ }
    await client.embeddings.create({ model: 'fake-model', input: secret });
    // Titles and instructions as the web app sends them.
    const title = canary('title');
    const renamed = canary('renamed-title');
    const instructions = canary('instructions');
    const titled = await client.conversations.create({ metadata: { title } });
    await client.conversations.update(titled.id, { metadata: { title: renamed, pinned: 'true' } });
    await client.responses.create({ model: 'fake-model', input: 'hello', conversation: titled.id, instructions });
    const put = await t.request('/v1/users/me/settings', {
      key, method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ default_model: 'fake-model', instructions, instructions_enabled: true }),
    });
    expect(put.status).to.equal(200);
    const listed = await (await t.request('/v1/conversations', { key })).json() as { data: Array<{ id: string; metadata: Record<string, string> }> };
    expect(listed.data.find((c) => c.id === titled.id)?.metadata, 'the list shows the title').to.deep.equal({ title: renamed, pinned: 'true' });
    expect((await (await t.request('/v1/users/me/settings', { key })).json()).instructions).to.equal(instructions);
    // Canaries in places a careless proxy might log: ids, query strings, headers.
    await t.request(`/v1/conversations/${secret}?after=${secret}`, { key });
    await t.request(`/v1/models/${secret}`, { key, headers: { 'x-request-id': 'ok-id', 'openai-beta': secret } });
    await t.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"messages":"${secret}` });

    expect(fake.requests.some((q) => q.body.toString().includes(secret)), 'the canary really went upstream').to.equal(true);
    const logs = t.logs.lines().join('\n');
    expect(logs.length).to.be.greaterThan(0);
    expect(logs).to.not.contain(secret);
    expect(logs).to.not.contain(reply);
    expect(logs).to.not.contain(key);
    for (const content of [title, renamed, instructions]) expect(logs).to.not.contain(content);
    const tables = await dumpAllTables();
    expect(tables).to.contain(conv.id);
    expect(tables).to.not.contain(secret);
    expect(tables).to.not.contain(reply);
    for (const content of [title, renamed, instructions]) expect(tables).to.not.contain(content);
    expect(tables, 'the sealed title is kept').to.match(new RegExp(`conversation_metadata: .*"conversation_id":"${titled.id}"`));
  });
});
