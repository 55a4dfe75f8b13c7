// Finding 10 (issue 18), "two parallel requests consumed 200,010 tokens against a 500-token
// budget", and finding 4's admission on a byte estimate: every request now reserves the most it
// may cost (its input by size plus its own output cap, or the configured default) against the
// budgets and tokens per minute when it is admitted, on whichever replica, and settles to what it
// used. Requests admitted in parallel see each other's reservations, so together they overshoot
// a budget by at most one reservation. Upstream holds every answer here until the test releases
// it, so all the checks happen while nothing has settled: the counts are exact, not a race.
import { expect } from 'chai';
import type { TestApp } from '../../support/test-app.ts';
import { testDatabase } from '../../support/test-database.ts';
import { startTwoReplicas, type TwoReplicas } from '../../support/two-replicas.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { waitFor } from '../../support/log-capture.ts';

describe('security: parallel requests against a budget (findings 4 and 10)', () => {
  let fake: FakeUpstream;
  let replicas: TwoReplicas | undefined;
  let a: TestApp;
  let b: TestApp;
  let key: string;
  let userId: string;

  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake.close(); });
  afterEach(async () => { await replicas?.close(); });

  async function start(env: Record<string, string>) {
    replicas = await startTwoReplicas(fake, env);
    ({ a, b, key, userId } = replicas);
  }

  const chatBody = (extra: object = {}) => JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }], ...extra });
  const upstreamChats = () => fake.requests.filter((r) => r.path === '/v1/chat/completions').length;
  const db = () => testDatabase().admin;
  const spent = async () => Number((await db().query('select coalesce(sum(input_tokens + output_tokens + estimated_tokens), 0) as n from usage_daily where user_id = $1', [userId])).rows[0].n);
  const reservations = async () => (await db().query<{ n: number; tokens: number }>('select count(*)::int as n, coalesce(sum(tokens), 0)::int as tokens from admissions where user_id = $1', [userId])).rows[0]!;

  /**
   * Sends `n` requests at once, alternating between the replicas, while upstream holds its
   * answers; once every request is either refused or waiting upstream, releases them.
   */
  async function inParallel(n: number, body: string): Promise<{ statuses: number[]; codes: string[]; heldReservations: { n: number; tokens: number } }> {
    const release = fake.holdAnswers();
    let answered = 0;
    const pending = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? a : b).request('/v1/chat/completions', {
      key, method: 'POST', headers: { 'content-type': 'application/json' }, body,
    }).then(async (res) => {
      answered++;
      const text = await res.text();
      return { status: res.status, code: res.status === 200 ? '' : (JSON.parse(text) as { error: { code: string } }).error.code };
    }));
    await waitFor(() => answered + fake.held === n, 10_000);
    const heldReservations = await reservations();
    release();
    const results = await Promise.all(pending);
    return { statuses: results.map((r) => r.status), codes: results.map((r) => r.code), heldReservations };
  }

  it('two parallel requests on two replicas against a 500-token budget: one reaches upstream, the other is refused', async () => {
    await start({ BUDGET_DAILY_TOKENS: '500' });
    fake.usage = { prompt_tokens: 5, completion_tokens: 100_000, total_tokens: 100_005 }; // the finding's 100,005 each
    const { statuses, codes, heldReservations } = await inParallel(2, chatBody());
    expect([...statuses].sort()).to.deep.equal([200, 429]);
    expect(codes.filter(Boolean)).to.deep.equal(['insufficient_quota']);
    expect(upstreamChats(), 'what reached upstream').to.equal(1);
    // While it ran, its reservation (input by size + the default 4,096 output tokens) stood against the budget.
    expect(heldReservations).to.deep.equal({ n: 1, tokens: Math.ceil(Buffer.byteLength(chatBody()) / 4) + 4096 });
    // Settled to what upstream reported; nothing is left reserved.
    expect(await spent()).to.equal(100_005);
    expect(await reservations()).to.deep.equal({ n: 0, tokens: 0 });
    const after = await a.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: chatBody() });
    expect(after.status).to.equal(429);
    expect(upstreamChats()).to.equal(1);
  });

  it('ten parallel requests with an output cap overshoot a budget by at most one reservation', async () => {
    await start({ BUDGET_DAILY_TOKENS: '500' });
    const body = chatBody({ max_tokens: 100 });
    const reserve = Math.ceil(Buffer.byteLength(body) / 4) + 100;
    const admitted = Math.ceil(500 / reserve); // admitted while what is spent and reserved is below 500
    fake.usage = { prompt_tokens: reserve - 100, completion_tokens: 100 }; // each uses all it reserved
    const { statuses, codes, heldReservations } = await inParallel(10, body);
    expect(statuses.filter((s) => s === 200)).to.have.length(admitted);
    expect(codes.filter((c) => c === 'insufficient_quota')).to.have.length(10 - admitted);
    expect(upstreamChats()).to.equal(admitted);
    expect(heldReservations).to.deep.equal({ n: admitted, tokens: admitted * reserve });
    const total = await spent();
    expect(total).to.equal(admitted * reserve);
    expect(total).to.be.at.most(500 + reserve);
    expect(await reservations()).to.deep.equal({ n: 0, tokens: 0 });
  });

  it('parallel requests reserve against tokens per minute too: one fits, the others wait', async () => {
    await start({ RATE_LIMIT_TPM: '100' });
    const body = chatBody({ max_tokens: 40 });
    const reserve = Math.ceil(Buffer.byteLength(body) / 4) + 40;
    expect(reserve).to.be.within(51, 100); // one reservation fits the minute's 100 tokens, two do not
    const { statuses, codes } = await inParallel(6, body);
    expect(statuses.filter((s) => s === 200)).to.have.length(1);
    expect(codes.filter((c) => c === 'rate_limit_exceeded')).to.have.length(5);
    expect(upstreamChats()).to.equal(1);
    // Settled to the 18 tokens used: the rest of the reservation is back in the bucket.
    const res = await a.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-ratelimit-remaining-tokens')).to.equal(String(100 - 18 - reserve));
  });
});
