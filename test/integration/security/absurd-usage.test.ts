// Finding 7 (issue 18): absurd usage from upstream (1e308, 2^63-1, negative, fractional, strings)
// made the usage flush fail and took that second's other counts with it. Now every count is
// checked where it is read: a bad one is logged (which field, which problem; no content) and the
// exchange is counted as without usage (estimated from bytes), while the other exchanges of the
// same user, day and model keep their counts — for users whose usage is written in batches and
// for users whose limits write it before the last byte.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { canary } from '../../support/privacy.ts';

const ABSURD: Array<[string, unknown]> = [
  ['1e308', { prompt_tokens: 1e308, completion_tokens: 1 }],
  ['2^63-1', { prompt_tokens: 1, completion_tokens: 2 ** 63 - 1 }],
  ['negative', { prompt_tokens: -5, completion_tokens: 1 }],
  ['fractional', { prompt_tokens: 2, completion_tokens: 0.5 }],
  ['string', { prompt_tokens: '12', completion_tokens: 1 }],
  ['over the cap', { prompt_tokens: 100_000_001, completion_tokens: 1 }],
];

interface UsageRow { requests: number; input_tokens: number; output_tokens: number; requests_without_usage: number; estimated_tokens: number }

describe('security: absurd upstream usage (finding 7)', () => {
  let fake: FakeUpstream;
  let t: TestApp;

  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake.close(); });
  afterEach(async () => { await t?.close(); });

  async function start(env: Record<string, string>) {
    await resetDatabase();
    fake.reset();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, ...env });
  }

  const usageRows = async (userId: string) => (await testDatabase().admin.query<UsageRow>(
    `select requests::int, input_tokens::int, output_tokens::int, requests_without_usage::int, estimated_tokens::int
       from usage_daily where user_id = $1`, [userId])).rows;

  for (const [who, env] of [['batched usage (no limits)', {}], ['usage written by the limits (a budget)', { BUDGET_DAILY_TOKENS: '100000000' }]] as const) {
    it(`${who}: each absurd count is logged and estimated, the good exchanges keep their counts`, async () => {
      await start(env);
      const { key, userId } = await t.userWithKey();
      const secret = canary('absurd');
      fake.replyText = secret;
      let estimated = 0;
      const chat = async (stream: boolean) => {
        const body = JSON.stringify({ model: 'fake-model', stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: 'user', content: secret }] });
        const res = await t.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const text = await res.text();
        expect(res.status).to.equal(200);
        expect(text, 'the client still gets upstream\'s bytes').to.contain(secret);
        return Math.ceil((Buffer.byteLength(body) + Buffer.byteLength(text)) / 4);
      };
      await chat(false); // good: 11 + 7
      for (const [, usage] of ABSURD) {
        fake.usage = usage;
        estimated += await chat(false);
        estimated += await chat(true);
      }
      fake.usage = undefined;
      await chat(true); // good again, in the same second as the absurd ones

      const listed = await t.request('/v1/users/me/usage', { key }); // flushes this replica's batched counts
      expect(listed.status).to.equal(200);
      expect(await usageRows(userId)).to.deep.equal([{
        requests: 2 + ABSURD.length * 2, input_tokens: 22, output_tokens: 14,
        requests_without_usage: ABSURD.length * 2, estimated_tokens: estimated,
      }]);

      const refused = t.logs.entries().filter((l) => l.event === 'usage.refused');
      expect(refused).to.have.length(ABSURD.length * 2);
      expect(refused.map((l) => `${String(l.field)}:${String(l.problem)}`).slice(0, ABSURD.length * 2).filter((_, i) => i % 2 === 0)).to.deep.equal([
        'prompt_tokens:too_large', 'completion_tokens:too_large', 'prompt_tokens:negative', 'completion_tokens:not_whole', 'prompt_tokens:not_a_number', 'prompt_tokens:too_large',
      ]);
      expect(t.logs.entries().filter((l) => l.event === 'usage.flush_failed' || l.event === 'limits.settle_failed')).to.deep.equal([]);
      expect(t.logs.contains(secret), 'no content in the logs').to.equal(false);
      expect(t.logs.contains('1e+308') || t.logs.contains('9223372036854776000'), 'nor the absurd values').to.equal(false);
    });
  }

  it('a user with an absurd count does not lose another user\'s counts of the same second', async () => {
    await start({});
    const a = await t.userWithKey();
    const b = await t.userWithKey();
    const body = JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'x' }] });
    const post = (key: string) => t.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.text());
    fake.usage = { prompt_tokens: 1e308, completion_tokens: 1e308 };
    await post(a.key);
    fake.usage = undefined;
    await post(b.key);
    await t.app.services.usage.flush();
    expect((await usageRows(b.userId))[0]).to.include({ requests: 1, input_tokens: 11, output_tokens: 7, requests_without_usage: 0 });
    expect((await usageRows(a.userId))[0]).to.include({ requests: 1, input_tokens: 0, output_tokens: 0, requests_without_usage: 1 });
  });
});
