// The account settings the web app gives meaning to (issue 23): default_model must be a model
// the operator allows, instructions a string of at most 8000 characters, instructions_enabled
// a boolean. A bad value is a 400 naming the key and changes nothing; good ones are kept sealed.
import { expect } from 'chai';
import OpenAI from 'openai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

describe('account settings: the keys the web app relies on', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let key: string;

  const put = (settings: unknown) => t.request('/v1/users/me/settings', { key, method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
  const stored = async () => (await t.request('/v1/users/me/settings', { key })).json();

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, ALLOWED_MODELS: 'fake-model,org/fake-model-2' });
    ({ key } = await t.userWithKey());
  });
  after(async () => { await t.close(); await fake.close(); });

  it('keeps an allowed default model, instructions and the switch, sealed', async () => {
    const instructions = `Answer in French. ${'é'.repeat(7900)}`.slice(0, 8000);
    const settings = { default_model: 'org/fake-model-2', instructions, instructions_enabled: true, theme: 'dark' };
    expect((await put(settings)).status).to.equal(200);
    expect(await stored()).to.deep.equal(settings);
    const rows = (await testDatabase().admin.query<{ sealed: Buffer }>('select sealed from user_settings')).rows;
    expect(rows.map((r) => Buffer.from(r.sealed).toString('utf8')).join()).to.not.contain('Answer in French');
  });

  it('accepts null for each (unset)', async () => {
    expect((await put({ default_model: null, instructions: null, instructions_enabled: null })).status).to.equal(200);
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['a model the operator does not allow', { default_model: 'gpt-not-allowed' }, 'default_model'],
    ['a default model that is not a string', { default_model: 42 }, 'default_model'],
    ['an empty default model', { default_model: '' }, 'default_model'],
    ['instructions of 8001 characters', { instructions: 'x'.repeat(8001) }, 'instructions'],
    ['instructions that are not a string', { instructions: ['be brief'] }, 'instructions'],
    ['a switch that is not a boolean', { instructions_enabled: 'yes' }, 'instructions_enabled'],
  ];
  for (const [what, settings, param] of bad) {
    it(`refuses ${what}: 400 with param ${param}, the stored settings unchanged`, async () => {
      expect((await put({ default_model: 'fake-model', instructions: 'kept' })).status).to.equal(200);
      const res = await put({ instructions_enabled: true, ...settings });
      expect(res.status).to.equal(400);
      expect((await res.json()).error).to.include({ type: 'invalid_request_error', param });
      expect(await stored()).to.deep.equal({ default_model: 'fake-model', instructions: 'kept' });
    });
  }

  it('instructions reach upstream as the Responses instructions field, unchanged, and no log line', async () => {
    const instructions = `Reply like a pirate ${Date.now()} "quoted" \\ back\nslash`;
    const client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });
    fake.reset();
    const stream = await client.responses.create({ model: 'fake-model', input: 'hello', instructions, stream: true });
    for await (const _ of stream) { /* drain */ }
    await client.responses.create({ model: 'fake-model', input: 'hello', instructions, background: true });
    expect(fake.requests.map((r) => JSON.parse(r.body.toString()).instructions)).to.deep.equal([instructions, instructions]);
    expect(t.logs.lines().join('\n')).to.not.contain('Reply like a pirate');
  });
});
