// Finding 10 (issue 18), first part: the `model` a user typed was stored verbatim in usage rows
// (the privacy canary appeared there and nowhere else). Usage rows now name a model only when
// upstream lists it (GET /models, fetched at start and refreshed in the background, never per
// request) or the operator allows it (USAGE_MODEL_NAMES); anything else is `other` — for users
// whose usage is written in batches and for users whose limits write it.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { canary, dumpAllTables } from '../../support/privacy.ts';

describe('security: usage rows name only listed models (finding 10)', () => {
  let fake: FakeUpstream;
  let t: TestApp;

  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake.close(); });
  afterEach(async () => { await t?.close(); });

  async function start(env: Record<string, string> = {}) {
    await resetDatabase();
    fake.reset();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, ...env });
  }

  const chat = (key: string, model: string, stream = false) => t.request(`/v1/chat/completions`, {
    key, method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (r) => { await r.text(); return r.status; });
  const modelsOf = async (userId: string) => (await testDatabase().admin.query<{ model: string; requests: number }>(
    'select model, requests::int from usage_daily where user_id = $1 order by model', [userId])).rows;
  const modelListFetches = () => fake.requests.filter((r) => r.method === 'GET' && r.path === '/v1/models').length;

  for (const [who, env] of [['batched usage (no limits)', {}], ['usage written by the limits (a budget)', { BUDGET_DAILY_TOKENS: '100000000' }]] as const) {
    it(`${who}: a canary model is recorded as other; listed models by name; one list fetch for all`, async () => {
      await start(env);
      const { key, userId } = await t.userWithKey();
      const secret = canary('model');
      expect(await chat(key, secret)).to.equal(200);
      expect(await chat(key, secret, true)).to.equal(200);
      expect(await chat(key, 'fake-model')).to.equal(200);
      expect(await chat(key, 'org/fake-model-2', true)).to.equal(200);
      expect(await chat(key, 'FAKE-MODEL')).to.equal(200); // not the listed spelling
      expect(await chat(key, 'fake-model ')).to.equal(200);
      await t.app.services.usage.flush();
      expect(await modelsOf(userId)).to.deep.equal([
        { model: 'fake-model', requests: 1 }, { model: 'org/fake-model-2', requests: 1 }, { model: 'other', requests: 4 },
      ]);
      expect(await dumpAllTables(), 'the canary is in no table').to.not.contain(secret);
      expect(t.logs.contains(secret), 'nor in the logs').to.equal(false);
      // What reached upstream: the six requests with the user's own model strings, and the list once, at start.
      expect(fake.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => JSON.parse(r.body.toString()).model as string))
        .to.deep.equal([secret, secret, 'fake-model', 'org/fake-model-2', 'FAKE-MODEL', 'fake-model ']);
      expect(modelListFetches()).to.equal(1);
    });
  }

  it('learns a model upstream adds when the list is refreshed, and keeps the list when a refresh fails', async () => {
    await start();
    const { key, userId } = await t.userWithKey();
    expect(await chat(key, 'new-model')).to.equal(200);
    fake.models = [...fake.models, 'new-model'];
    await t.app.models.refresh();
    expect(await chat(key, 'new-model')).to.equal(200);
    const closed = fake.close();
    await t.app.models.refresh(); // upstream gone: the list stays as it was
    await closed;
    fake = await startFakeUpstream();
    await t.app.services.usage.flush();
    expect(await modelsOf(userId)).to.deep.equal([{ model: 'new-model', requests: 1 }, { model: 'other', requests: 1 }]);
    expect(t.app.models.usageName('new-model')).to.equal('new-model');
    expect(t.logs.entries().filter((l) => l.event === 'models.list_failed')).to.have.length(1);
  });

  it('names what the operator allows (USAGE_MODEL_NAMES) even when upstream does not list it', async () => {
    await start({ USAGE_MODEL_NAMES: 'private-model, another' });
    const { key, userId } = await t.userWithKey();
    expect(await chat(key, 'private-model')).to.equal(200);
    expect(await chat(key, 'fake-model')).to.equal(200);
    expect(await chat(key, 'private')).to.equal(200);
    await t.app.services.usage.flush();
    expect(await modelsOf(userId)).to.deep.equal([{ model: 'fake-model', requests: 1 }, { model: 'other', requests: 1 }, { model: 'private-model', requests: 1 }]);
  });
});
