// Finding 4 (issue 18): with a 500-token daily budget, nine `background: true` Responses were
// admitted on a byte estimate, used 9,009,000 tokens upstream, and Cloister recorded none: their
// usage appears only later, on GET /v1/responses/{id} or its `?stream=true` resumption, which
// relayed it without looking. Now a background response's reservation stays against the budget,
// linked to the response, until its usage is first seen (a GET, a resumed stream, a cancel),
// where it is charged exactly once, whichever replica or route sees it first; a client that
// leaves before the answer, or a response nobody looks at in time, is charged its reservation.
import { expect } from 'chai';
import type { TestApp } from '../../support/test-app.ts';
import { testDatabase } from '../../support/test-database.ts';
import { startTwoReplicas, type TwoReplicas } from '../../support/two-replicas.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import type { ManualClock } from '../../support/clock.ts';
import { waitFor } from '../../support/log-capture.ts';
import { sweepLimitState } from '../../../src/limits/queries.ts';
import { utcDay } from '../../../src/limits/periods.ts';

const BIG = { input_tokens: 1_000, output_tokens: 1_000_000, total_tokens: 1_001_000 }; // the finding's 1,001,000 per response

describe('security: background responses against budgets (finding 4)', () => {
  let fake: FakeUpstream;
  let replicas: TwoReplicas | undefined;
  let clock: ManualClock;
  let a: TestApp;
  let b: TestApp;
  let key: string;
  let userId: string;

  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake.close(); });
  afterEach(async () => { await replicas?.close(); });

  async function start(env: Record<string, string>) {
    replicas = await startTwoReplicas(fake, env);
    ({ a, b, clock, key, userId } = replicas);
  }

  const backgroundBody = (extra: object = {}) => JSON.stringify({ model: 'fake-model', input: 'work on this for a while', background: true, ...extra });
  const reserveOf = (body: string) => Math.ceil(Buffer.byteLength(body) / 4) + 4096;
  const create = (t: TestApp, body = backgroundBody()) => t.request('/v1/responses', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const upstreamCreates = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/responses').length;
  const db = () => testDatabase().admin;
  const usage = async () => (await db().query<{ day: string; model: string; requests: number; input_tokens: number; output_tokens: number; requests_without_usage: number; estimated_tokens: number }>(
    `select to_char(day, 'YYYY-MM-DD') as day, model, requests::int, input_tokens::int, output_tokens::int, requests_without_usage::int, estimated_tokens::int
       from usage_daily where user_id = $1 order by day`, [userId])).rows;
  const waiting = async () => (await db().query<{ response_id: string | null; tokens: number }>('select response_id, tokens::int from admissions where user_id = $1 and waiting', [userId])).rows;
  const charged = (input: number, output: number) => ({ day: '2026-03-10', model: 'fake-model', requests: 1, input_tokens: input, output_tokens: output, requests_without_usage: 0, estimated_tokens: 0 });

  it('nine background requests against a 500-token budget: one is admitted, its usage charged once when first seen, then the user is refused', async () => {
    await start({ BUDGET_DAILY_TOKENS: '500' });
    fake.usage = BIG;
    const first = await create(a);
    expect(first.status).to.equal(200);
    const queued = await first.json() as { id: string; status: string; usage: unknown };
    expect(queued).to.include({ status: 'queued', usage: null });
    // The reservation waits for that response's usage, against the budget.
    expect(await waiting()).to.deep.equal([{ response_id: queued.id, tokens: reserveOf(backgroundBody()) }]);
    for (let i = 0; i < 8; i++) {
      const refused = await create(i % 2 === 0 ? b : a);
      expect(refused.status).to.equal(429);
      expect(((await refused.json()) as { error: { code: string; message: string } }).error).to.include({ code: 'insufficient_quota' });
    }
    expect(upstreamCreates(), 'what reached upstream').to.equal(1);
    expect(await usage(), 'nothing is charged before the usage is known').to.deep.equal([]);

    // Still running: a GET shows no usage and charges nothing.
    expect(((await (await a.request(`/v1/responses/${queued.id}`, { key })).json()) as { status: string }).status).to.equal('in_progress');
    expect(await waiting()).to.have.length(1);

    fake.finishBackground(queued.id);
    const done = await b.request(`/v1/responses/${queued.id}`, { key });
    expect(done.status).to.equal(200);
    expect(((await done.json()) as { usage: unknown }).usage).to.deep.equal(BIG);
    expect(await usage()).to.deep.equal([charged(1_000, 1_000_000)]);
    expect(await waiting()).to.deep.equal([]);

    // Seen again (JSON on either replica, the resumed stream): never charged twice.
    expect((await a.request(`/v1/responses/${queued.id}`, { key })).status).to.equal(200);
    const resumed = await a.request(`/v1/responses/${queued.id}?stream=true`, { key });
    expect(await resumed.text()).to.contain('response.completed');
    expect(await usage()).to.deep.equal([charged(1_000, 1_000_000)]);

    // The budget is spent: refused until the next UTC day.
    const spent = await create(b);
    expect(spent.status).to.equal(429);
    expect(((await spent.json()) as { error: { message: string } }).error.message).to.contain('daily token budget');
    expect(upstreamCreates()).to.equal(1);
    clock.set('2026-03-11T00:00:00Z');
    expect((await create(a)).status).to.equal(200);
  });

  it('the resumed stream charges the usage when it is the first to show it, and two replicas reading at once charge it once', async () => {
    await start({ BUDGET_DAILY_TOKENS: '5000000' });
    fake.usage = BIG;
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(((await (await create(a)).json()) as { id: string }).id);
    fake.finishBackground();
    const resumed = await a.request(`/v1/responses/${ids[0]}?stream=true&starting_after=1`, { key });
    expect(resumed.status).to.equal(200);
    expect(await resumed.text()).to.contain('"input_tokens":1000');
    expect(await usage()).to.deep.equal([{ ...charged(1_000, 1_000_000) }]);
    // Two replicas, four readers, one charge.
    const reads = await Promise.all([a, b, a, b].map((t) => t.request(`/v1/responses/${ids[1]}`, { key }).then((r) => r.status)));
    expect(reads).to.deep.equal([200, 200, 200, 200]);
    expect((await usage())[0]).to.include({ requests: 2, input_tokens: 2_000, output_tokens: 2_000_000 });
    expect(await waiting()).to.deep.equal([]);
  });

  it('a background stream the client leaves is charged when its resumption shows the usage', async () => {
    await start({ BUDGET_DAILY_TOKENS: '5000000' });
    fake.usage = BIG;
    // "stall": upstream sends response.created and then nothing; the client leaves, the work goes on upstream.
    const controller = new AbortController();
    const res = await a.request('/v1/responses', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: backgroundBody({ model: 'stall', stream: true }), signal: controller.signal });
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const id = /"id":"(resp_[^"]+)"/.exec(first)![1]!;
    controller.abort();
    await waitFor(() => fake.requests.some((r) => r.path === '/v1/responses' && r.closedEarly));
    // Left before any usage: the reservation still waits, linked to the response.
    await waitForRows(async () => (await waiting()).length === 1 && (await usage()).length === 0);
    expect((await waiting())[0]!.response_id).to.equal(id);
    fake.finishBackground(id);
    const resumed = await b.request(`/v1/responses/${id}?stream=true`, { key });
    expect(await resumed.text()).to.contain('response.completed');
    expect(await usage()).to.deep.equal([{ ...charged(1_000, 1_000_000), model: 'other' }]); // "stall" is no model upstream lists
    expect(await waiting()).to.deep.equal([]);
  });

  it('a client that leaves before the answer is charged the reservation: a background response may run upstream unseen', async () => {
    await start({ BUDGET_DAILY_TOKENS: '5000000' });
    const release = fake.holdAnswers();
    const controller = new AbortController();
    const body = backgroundBody();
    const stays = create(a, body);
    const leaving = a.request('/v1/responses', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: controller.signal }).catch(() => null);
    await waitFor(() => fake.held === 2);
    controller.abort();
    await leaving;
    await waitFor(() => fake.requests.filter((r) => r.closedEarly).length === 1);
    release();
    expect((await stays).status).to.equal(200);
    await waitForRows(async () => (await usage()).length === 1);
    const rows = await usage();
    expect(rows[0]).to.include({ requests: 1, input_tokens: 0, output_tokens: 0, requests_without_usage: 1, estimated_tokens: reserveOf(body) });
    expect(upstreamCreates()).to.equal(2);
    // The one that got its answer waits for its usage.
    expect(await waiting()).to.have.length(1);
  });

  it('a background response nobody reads back in BUDGET_BACKGROUND_WAIT_HOURS is charged its reservation, and not again later', async () => {
    await start({ BUDGET_DAILY_TOKENS: '5000000', BUDGET_BACKGROUND_WAIT_HOURS: '2' });
    fake.usage = BIG;
    const body = backgroundBody();
    const { id } = await (await create(a, body)).json() as { id: string };
    await sweepLimitState(db(), clock.now().getTime(), utcDay(clock.now()));
    expect(await waiting(), 'not yet').to.have.length(1);
    // set, not advance: the apps' own clock timers (retention sweeps) need not run on the way
    clock.set(new Date(clock.now().getTime() + 2 * 3_600_000));
    await sweepLimitState(db(), clock.now().getTime(), utcDay(clock.now()));
    expect(await waiting()).to.deep.equal([]);
    const estimated = { day: '2026-03-10', model: 'fake-model', requests: 1, input_tokens: 0, output_tokens: 0, requests_without_usage: 1, estimated_tokens: reserveOf(body) };
    expect(await usage()).to.deep.equal([estimated]);
    fake.finishBackground(id);
    expect((await a.request(`/v1/responses/${id}`, { key })).status).to.equal(200);
    expect(await usage()).to.deep.equal([estimated]);
  });

  it('Cloister\'s own follow-up charges a response nobody reads back, asking upstream about each at most once per interval', async () => {
    await start({ BUDGET_DAILY_TOKENS: '5000000', BUDGET_BACKGROUND_CHECK_SECONDS: '60' });
    fake.usage = BIG;
    const { id } = await (await create(a)).json() as { id: string };
    const asked = () => fake.requests.filter((r) => r.method === 'GET' && r.path === `/v1/responses/${id}`).length;
    expect(await a.app.backgroundFollowUp.runOnce(), 'still running upstream').to.equal(0);
    expect(asked()).to.equal(1);
    expect(await b.app.backgroundFollowUp.runOnce(), 'claimed by the other replica for this interval').to.equal(0);
    expect(asked()).to.equal(1);
    fake.finishBackground(id);
    clock.set(new Date(clock.now().getTime() + 60_000));
    expect(await b.app.backgroundFollowUp.runOnce()).to.equal(1);
    expect(asked()).to.equal(2);
    expect(await usage()).to.deep.equal([charged(1_000, 1_000_000)]);
    expect(await waiting()).to.deep.equal([]);
    // The user reading it afterwards, or another round, charges nothing more.
    expect((await a.request(`/v1/responses/${id}`, { key })).status).to.equal(200);
    clock.set(new Date(clock.now().getTime() + 60_000));
    expect(await a.app.backgroundFollowUp.runOnce()).to.equal(0);
    expect(await usage()).to.deep.equal([charged(1_000, 1_000_000)]);
  });

  it('a background response deleted before its usage was seen is charged its reservation by the follow-up', async () => {
    await start({ BUDGET_DAILY_TOKENS: '5000000' });
    const body = backgroundBody();
    const { id } = await (await create(a, body)).json() as { id: string };
    expect((await a.request(`/v1/responses/${id}`, { key, method: 'DELETE' })).status).to.equal(200);
    expect(await a.app.backgroundFollowUp.runOnce()).to.equal(1);
    expect(await usage()).to.deep.equal([{ day: '2026-03-10', model: 'fake-model', requests: 1, input_tokens: 0, output_tokens: 0, requests_without_usage: 1, estimated_tokens: reserveOf(body) }]);
    expect(await waiting()).to.deep.equal([]);
  });

  it('a user nothing limits still has a background response\'s usage recorded once, when first seen', async () => {
    await start({});
    fake.usage = BIG;
    const { id } = await (await create(a)).json() as { id: string };
    await a.app.services.usage.flush();
    await b.app.services.usage.flush();
    expect(await usage(), 'the queued answer is not counted by size').to.deep.equal([]);
    fake.finishBackground(id);
    for (const t of [a, b, a]) expect((await t.request(`/v1/responses/${id}`, { key })).status).to.equal(200);
    await a.app.services.usage.flush();
    await b.app.services.usage.flush();
    expect(await usage()).to.deep.equal([charged(1_000, 1_000_000)]);
  });

  it('a background response waiting for its usage holds the budget but no concurrency slot', async () => {
    await start({ BUDGET_DAILY_TOKENS: '5000000', RATE_LIMIT_CONCURRENCY: '1' });
    const { id } = await (await create(a)).json() as { id: string };
    expect(await waiting()).to.have.length(1);
    const next = await a.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(next.status, 'the request is over; only its usage is awaited').to.equal(200);
    expect((await waiting())[0]!.response_id).to.equal(id);
  });

  it('another user reading the response gets 404 and charges nothing', async () => {
    await start({ BUDGET_DAILY_TOKENS: '5000000' });
    fake.usage = BIG;
    const { id } = await (await create(a)).json() as { id: string };
    fake.finishBackground(id);
    const other = await a.userWithKey();
    expect((await a.request(`/v1/responses/${id}`, { key: other.key })).status).to.equal(404);
    expect(await waiting()).to.have.length(1);
    expect(fake.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/responses/'))).to.have.length(0);
  });
});

/** Waits until a database condition holds (the request's end is written after its response). */
async function waitForRows(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('database condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
