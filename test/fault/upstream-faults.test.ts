// The upstream fault matrix: every way upstream can fail (reset, stall, garbage, 429, 5xx) at
// every phase of its answer (before headers, mid-body, mid-stream), on both creation routes,
// streamed and not. Each case asserts: the process keeps serving, the client gets a clear
// failure (an OpenAI-shaped error; once a stream began, one SSE `error` event and the end),
// every id the client saw is owned, no admission is left behind, and a stalled upstream
// connection is closed by Cloister. Stalls end on Cloister's own short upstream timeouts
// (configured below), never on a sleep.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { resetDatabase, testDatabase } from '../support/test-database.ts';
import { CREATION_ROUTES, FAULTS, PHASES, creationBody, startFaultUpstream, type Fault, type FaultUpstream, type Phase } from './support/fault-upstream.ts';
import { expectNoAdmissionLeft, expectOneErrorEventAtTheEnd, expectOpenAiError, expectOwned, idsIn, readAnswer, type Seen } from './support/fault-checks.ts';

type Route = typeof CREATION_ROUTES[number];

/** What the client must get: an HTTP error (status, code), or (a stream that began) one error event with a code. */
type Expected = { readonly status: number; readonly code: string | null } | { readonly event: string | null };

/**
 * The answer each fault must produce. Before the client's first byte a streamed request fails
 * exactly as a non-streamed one: 504 when upstream went silent, 502 when it broke or failed,
 * upstream's own OpenAI-shaped 429 passed through. After it, one `error` event.
 */
function expected(fault: Fault, phase: Phase, stream: boolean): Expected {
  const timeout = { status: 504, code: 'upstream_timeout' };
  const broken = { status: 502, code: 'upstream_error' };
  if (phase === 'before-headers') return fault === 'stall' ? timeout : fault === '429' ? { status: 429, code: 'rate_limit_exceeded' } : broken;
  // A refusal whose body was cut is not passed on (it is not upstream's whole OpenAI-shaped body).
  if (fault === '429') return phase === 'mid-body' ? broken : { event: 'rate_limit_exceeded' };
  if (fault === '5xx') return phase === 'mid-body' ? broken : { event: null };
  if (!stream) return fault === 'stall' ? timeout : broken;
  return { event: fault === 'stall' ? 'upstream_timeout' : 'upstream_error' };
}

describe('fault: upstream failures at each phase × route × stream', function () {
  let upstream: FaultUpstream;
  let t: TestApp;
  let key: string;
  let userId: string;

  before(async () => {
    await resetDatabase();
    upstream = await startFaultUpstream();
    t = await startTestApp({
      OPENAI_BASE_URL: `${upstream.url}/v1`,
      // Stalls end here, on Cloister's own timeouts: short, so the suite stays fast.
      UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '300',
      UPSTREAM_IDLE_TIMEOUT_MS: '300',
      // Every request takes an admission row: what "no lease left behind" looks at.
      RATE_LIMIT_CONCURRENCY: '4',
    });
    ({ key, userId } = await t.userWithKey());
  });
  after(async () => { await t.close(); await upstream.close(); });
  beforeEach(() => upstream.reset());

  const ask = async (route: Route, model: string, stream: boolean): Promise<Seen> =>
    readAnswer(await t.request(route, { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: creationBody(route, model, stream) }));

  for (const route of CREATION_ROUTES) {
    for (const stream of [false, true]) {
      for (const phase of PHASES) {
        if (phase === 'mid-stream' && !stream) continue; // a JSON answer has no stream to fail in
        for (const fault of FAULTS) {
          const want = expected(fault, phase, stream);
          const says = 'status' in want ? `${want.status} ${want.code}` : `one error event (${want.event ?? 'upstream\'s'})`;
          it(`${route} ${stream ? 'stream' : 'json'}: ${fault} ${phase} → ${says}`, async () => {
            const seen = await ask(route, `fault:${fault}:${phase}`, stream);
            const [rec] = upstream.requests;
            expect(upstream.requests, 'one request reached upstream, not retried').to.have.length(1);
            if ('status' in want) {
              expect(seen.status, seen.text).to.equal(want.status);
              const error = expectOpenAiError(seen);
              expect(error.code).to.equal(want.code);
            } else {
              const event = expectOneErrorEventAtTheEnd(seen) as { error?: { code?: unknown; type?: unknown; message?: unknown }; code?: unknown; type?: unknown };
              // Cloister's own event is `{"error": {...}}`; upstream's own (relayed byte for byte) is flat.
              const inner = event.error ?? event;
              expect(inner.type, JSON.stringify(event)).to.be.a('string');
              if (want.event !== null) expect(inner.code).to.equal(want.event);
            }
            // Upstream's own text reaches the client only as its OpenAI-shaped 4xx or its own error event.
            if (fault !== '5xx' || phase !== 'mid-stream') expect(seen.text).not.to.contain('upstream internal detail');
            // A stalled upstream is not left hanging: Cloister closed that connection.
            if (fault === 'stall') await rec!.clientClosed;
            await expectOwned(testDatabase().admin, userId, idsIn(seen.text));
            await expectNoAdmissionLeft(testDatabase().admin);
            // Still serving: the same route answers in full right after.
            const ok = await ask(route, 'ok', stream);
            expect(ok.status, ok.text).to.equal(200);
            expect(ok.text).not.to.contain('event: error');
            await expectOwned(testDatabase().admin, userId, idsIn(ok.text));
          });
        }
      }
    }
  }
});
