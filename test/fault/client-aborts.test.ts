// A client that leaves at each phase of upstream's answer (before its headers, mid-body,
// mid-stream), on both creation routes, streamed and not: upstream sees the abort (Cloister
// closes that connection), the admission is released, ids already shown stay owned, nothing is
// logged as an error, and the process keeps serving. Upstream stalls at the phase (with
// Cloister's default, long timeouts), so the client's leaving is the only thing that ends it.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { resetDatabase, testDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/log-capture.ts';
import { CREATION_ROUTES, PHASES, creationBody, startFaultUpstream, type FaultUpstream } from './support/fault-upstream.ts';
import { admissionsHeld, expectNoAdmissionLeft, expectOwned, idsIn, readAnswer } from './support/fault-checks.ts';

describe('fault: the client leaves at each phase × route × stream', () => {
  let upstream: FaultUpstream;
  let t: TestApp;
  let key: string;
  let userId: string;

  before(async () => {
    await resetDatabase();
    upstream = await startFaultUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${upstream.url}/v1`, RATE_LIMIT_CONCURRENCY: '4' });
    ({ key, userId } = await t.userWithKey());
  });
  after(async () => { await t.close(); await upstream.close(); });
  beforeEach(() => upstream.reset());

  for (const route of CREATION_ROUTES) {
    for (const stream of [false, true]) {
      for (const phase of PHASES) {
        if (phase === 'mid-stream' && !stream) continue;
        it(`${route} ${stream ? 'stream' : 'json'}: the client leaves ${phase} → upstream aborted, admission released`, async () => {
          const ac = new AbortController();
          const model = `fault:stall:${phase}`;
          const body = creationBody(route, model, stream);
          const answer = t.request(route, { key, method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ac.signal });
          answer.catch(() => {}); // aborted before the head arrived: the rejection is the point
          // Leave once upstream reached the phase (and, mid-stream, once the client read bytes).
          const reached = phase === 'before-headers' ? 'received' : phase === 'mid-body' ? 'partial' : 'events';
          await waitFor(() => upstream.requests[0]?.reached === reached, 10_000);
          expect(await admissionsHeld(testDatabase().admin), 'the request holds its admission while it runs').to.equal(1);
          let text = '';
          if (phase === 'mid-stream') {
            const res = await answer;
            expect(res.status).to.equal(200);
            const reader = res.body!.getReader();
            const first = await reader.read();
            text = new TextDecoder().decode(first.value);
            ac.abort();
            await reader.read().catch(() => {});
          } else {
            ac.abort();
          }
          await upstream.requests[0]!.clientClosed;
          expect(upstream.requests[0]!.closedEarly, 'upstream saw the abort').to.equal(true);
          await expectNoAdmissionLeft(testDatabase().admin);
          await expectOwned(testDatabase().admin, userId, idsIn(text));
          // Leaving is not a failure of Cloister's: nothing at error level.
          expect(t.logs.entries().filter((e) => e.level === 'error' || e.level === 'fatal'), t.logs.lines().join('\n')).to.deep.equal([]);
          const ok = await readAnswer(await t.request(route, { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: body.replace(model, 'ok') }));
          expect(ok.status).to.equal(200);
        });
      }
    }
  }
});
