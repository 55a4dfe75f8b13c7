// Models chosen by the operator (issue 23): ALLOWED_MODELS and DEFAULT_MODEL. /v1/models lists
// the allowed models (the default first) from memory; an inference request for any other model
// is OpenAI's 404 model_not_found before anything goes upstream and before the limits charge
// anything. Unset, /v1/models is upstream's list without the models a chat cannot use.
import { expect } from 'chai';
import OpenAI, { NotFoundError } from 'openai';
import type { TestApp } from '../../support/test-app.ts';
import { testDatabase } from '../../support/test-database.ts';
import type { FakeUpstream } from '../../support/fake-upstream.ts';
import { appPerTest } from '../../support/app-per-test.ts';

const notFound = (model: string) => ({
  error: { message: `The model '${model}' does not exist or you do not have access to it.`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
});

describe('models chosen by the operator', () => {
  const suite = appPerTest();
  let fake: FakeUpstream;
  let t: TestApp;
  let key: string;
  let userId: string;
  let client: OpenAI;

  const post = (path: string, body: unknown) => t.request(path, { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const charged = async () => {
    const db = testDatabase().admin;
    const admissions = Number((await db.query('select count(*) from admissions where user_id = $1', [userId])).rows[0].count);
    await t.app.services.usage.flush();
    const usage = Number((await db.query('select count(*) from usage_daily where user_id = $1', [userId])).rows[0].count);
    return { admissions, usage };
  };

  async function start(env: Record<string, string>) {
    t = await suite.start(env);
    fake = suite.fake;
    ({ key, userId } = await t.userWithKey());
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });
  }

  describe('with ALLOWED_MODELS set', () => {
    beforeEach(() => start({ ALLOWED_MODELS: 'fake-model,org/fake-model-2,not-upstream', DEFAULT_MODEL: 'org/fake-model-2', BUDGET_DAILY_TOKENS: '100000' }));

    it('lists exactly the allowed models, the default first, from memory (no upstream call)', async () => {
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).to.deep.equal(['org/fake-model-2', 'fake-model', 'not-upstream']);
      expect(models.data[1]).to.include({ object: 'model', owned_by: 'fake' }); // upstream's own object
      expect(models.data[2]).to.deep.equal({ id: 'not-upstream', object: 'model', created: 0, owned_by: 'system' });
      expect(fake.requests).to.have.length(0);
    });

    it('warns the operator about an allowed model upstream does not list', () => {
      const warning = t.logs.entries().find((e) => e.event === 'models.allowed_not_listed');
      expect(warning?.models).to.deep.equal(['not-upstream']);
    });

    const refusals: Array<[string, string, Record<string, unknown>]> = [
      ['a chat completion', '/v1/chat/completions', { messages: [{ role: 'user', content: 'hi' }] }],
      ['a streamed chat completion', '/v1/chat/completions', { stream: true, messages: [{ role: 'user', content: 'hi' }] }],
      ['a response', '/v1/responses', { input: 'hi' }],
      ['a streamed response', '/v1/responses', { input: 'hi', stream: true }],
      ['a background response', '/v1/responses', { input: 'hi', background: true }],
      ['embeddings', '/v1/embeddings', { input: 'hi' }],
    ];
    for (const [what, path, body] of refusals) {
      it(`refuses ${what} for another model: 404 model_not_found in OpenAI's shape, nothing upstream, nothing charged`, async () => {
        const res = await post(path, { model: 'gpt-not-allowed', ...body });
        expect(res.status).to.equal(404);
        expect(await res.json()).to.deep.equal(notFound('gpt-not-allowed'));
        expect(fake.requests).to.have.length(0);
        expect(await charged()).to.deep.equal({ admissions: 0, usage: 0 });
      });
    }

    it('the openai SDK sees a NotFoundError with code model_not_found', async () => {
      const err = await client.chat.completions.create({ model: 'gpt-not-allowed', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(NotFoundError);
      expect(err).to.include({ status: 404, code: 'model_not_found', param: 'model', type: 'invalid_request_error' });
      expect(fake.requests).to.have.length(0);
    });

    it('refuses a request without a model, or with a non-string one (it could not be checked), with a 400 naming model', async () => {
      for (const model of [undefined, null, ['fake-model'], { id: 'fake-model' }]) {
        const res = await post('/v1/responses', { model, input: 'hi' });
        expect(res.status, JSON.stringify(model)).to.equal(400);
        const { error } = await res.json();
        expect(error.type).to.equal('invalid_request_error');
        expect(error.param).to.match(/^model/); // an object is refused by the reference walk first, at model.id
      }
      expect(fake.requests).to.have.length(0);
    });

    it('is exact: a different case or trailing space is another model', async () => {
      for (const model of ['FAKE-MODEL', 'fake-model ', 'org/fake-model-2/']) {
        expect((await post('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] })).status, model).to.equal(404);
      }
      expect(fake.requests).to.have.length(0);
    });

    it('serves an allowed model (streamed too) and counts its usage', async () => {
      const res = await client.chat.completions.create({ model: 'org/fake-model-2', messages: [{ role: 'user', content: 'hi' }] });
      expect(res.choices[0]!.message.content).to.contain('You said: hi');
      const stream = await client.responses.create({ model: 'fake-model', input: 'hi', stream: true });
      for await (const _ of stream) { /* drain */ }
      expect(fake.requests.map((r) => JSON.parse(r.body.toString()).model)).to.deep.equal(['org/fake-model-2', 'fake-model']);
      expect((await charged()).usage).to.be.greaterThan(0);
    });

    it('retrieving a model it does not allow is 404 model_not_found without asking upstream', async () => {
      const res = await t.request('/v1/models/text-embedding-3-small', { key });
      expect(res.status).to.equal(404);
      expect(await res.json()).to.deep.equal(notFound('text-embedding-3-small'));
      expect(fake.requests).to.have.length(0);
      expect((await client.models.retrieve('org/fake-model-2')).id).to.equal('org/fake-model-2');
    });
  });

  describe('with ALLOWED_MODELS unset', () => {
    const upstreamModels = [
      'text-embedding-3-small', 'fake-chat-a', 'tts-1', 'gpt-4o-mini-tts', 'whisper-1', 'gpt-4o-transcribe', 'dall-e-3', 'gpt-image-1',
      'omni-moderation-latest', 'gpt-4o-realtime-preview', 'gpt-4o-audio-preview', 'fake-chat-b', 'babbage-002', 'davinci-002', 'sora-2', 'nomic-embed-text',
    ];

    it("lists upstream's chat models only, the default first, asking upstream each time", async () => {
      await start({ DEFAULT_MODEL: 'fake-chat-b' });
      fake.models = upstreamModels;
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).to.deep.equal(['fake-chat-b', 'fake-chat-a']);
      expect(models.data[0]).to.include({ object: 'model', owned_by: 'fake' });
      expect(fake.requests.map((r) => `${r.method} ${r.path}`)).to.deep.equal(['GET /v1/models']);
    });

    it('lets any model through to upstream (upstream decides)', async () => {
      await start({});
      const res = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' });
      expect(res.status).to.equal(200);
      expect(fake.requests).to.have.length(1);
    });

    it("passes upstream's own refusal of the list on, as it does for every route", async () => {
      await start({});
      fake.refuseNext = 1;
      const res = await t.request('/v1/models', { key });
      expect(res.status).to.equal(400);
      expect((await res.json()).error).to.include({ code: 'invalid_value' });
    });
  });
});
