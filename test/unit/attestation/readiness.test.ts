// The readiness state behind /readyz and the inference gate (finding 9), driven by a manual
// clock whose timers fire when it is moved: no waiting.
import { expect } from 'chai';
import type { AppError } from '../../../src/errors.ts';
import { createAttestationReadiness, gateUpstream } from '../../../src/attestation/readiness.ts';
import type { UpstreamClient } from '../../../src/upstream/client.ts';
import { createLogger } from '../../../src/log.ts';
import { captureLogs } from '../../support/log-capture.ts';
import { manualClock } from '../../support/clock.ts';

function harness(required = true) {
  const clock = manualClock();
  const logs = captureLogs();
  const logger = createLogger('info', logs.stream);
  let socketUp = false;
  let probes = 0;
  const readiness = createAttestationReadiness({
    probe: async () => { probes++; if (!socketUp) throw new Error('dstack socket /var/run/dstack.sock not found'); },
    required, clock, logger,
  });
  return { readiness, clock, logs, up: (v: boolean) => { socketUp = v; }, probes: () => probes };
}

function refusal(f: () => void): AppError | undefined {
  try { f(); } catch (e) { return e as AppError; }
  return undefined;
}

describe('attestation readiness', () => {
  it('is closed until a probe succeeds, names the reason, and opens on success', async () => {
    const h = harness();
    expect(refusal(() => h.readiness.assertAvailable())?.code).to.equal('attestation_unavailable');
    expect(await h.readiness.report()).to.deep.equal({ ready: false, status: 'unavailable: dstack socket /var/run/dstack.sock not found' });
    h.up(true);
    expect(await h.readiness.report()).to.deep.equal({ ready: true, status: 'ok' });
    expect(refusal(() => h.readiness.assertAvailable())).to.equal(undefined);
  });

  it('recovers by itself: a failure schedules retries (backing off), and the first one that succeeds opens the gate', async () => {
    const h = harness();
    await h.readiness.report();
    expect(h.clock.pending, 'one retry waits').to.equal(1);
    h.clock.advance(999);
    expect(h.probes(), 'not before its second').to.equal(1);
    h.clock.advance(1);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(h.probes()).to.equal(2);
    expect(h.clock.pending, 'the next retry waits, twice as long').to.equal(1);
    h.up(true);
    h.clock.advance(1999);
    expect(h.probes()).to.equal(2);
    h.clock.advance(1);
    await new Promise((r) => setImmediate(r));
    expect(refusal(() => h.readiness.assertAvailable()), 'no request was needed').to.equal(undefined);
    expect(h.logs.entries().map((e) => e['event'])).to.deep.equal(['attestation.unavailable', 'attestation.recovered']);
  });

  it('a refused request re-probes at most once a second; /readyz re-probes a good state only when stale', async () => {
    const h = harness();
    await h.readiness.report();
    const after = h.probes();
    refusal(() => h.readiness.assertAvailable());
    refusal(() => h.readiness.assertAvailable());
    expect(h.probes()).to.equal(after);
    h.clock.advance(1000);
    refusal(() => h.readiness.assertAvailable());
    expect(h.probes()).to.equal(after + 1);
    await new Promise((r) => setImmediate(r));
    h.up(true);
    await h.readiness.report();
    const ok = h.probes();
    await h.readiness.report();
    expect(h.probes()).to.equal(ok);
    h.clock.advance(5000);
    await h.readiness.report();
    expect(h.probes()).to.equal(ok + 1);
  });

  it('a failing real call closes the gate at once', async () => {
    const h = harness();
    h.up(true);
    await h.readiness.report();
    h.readiness.reportFailure(new Error('dstack GetQuote failed'));
    expect(refusal(() => h.readiness.assertAvailable())?.message).to.equal('attestation unavailable: dstack GetQuote failed');
  });

  it('not required: never refuses, reports ready with the reason', async () => {
    const h = harness(false);
    expect(refusal(() => h.readiness.assertAvailable())).to.equal(undefined);
    expect(await h.readiness.report()).to.deep.equal({ ready: true, status: 'unavailable: dstack socket /var/run/dstack.sock not found (not required: ATTESTATION_REQUIRED=false)' });
  });

  it('the gated upstream refuses at its first touch: configured, open and fetch', async () => {
    const h = harness();
    let opened = 0;
    const upstream = { configured: true, open: () => { opened++; return {} as never; }, fetch: async () => { opened++; return {} as never; }, close: async () => {} } as unknown as UpstreamClient;
    const gated = gateUpstream(upstream, h.readiness);
    expect(refusal(() => gated.configured)?.code).to.equal('attestation_unavailable');
    expect(refusal(() => gated.open({} as never, {} as never))?.code).to.equal('attestation_unavailable');
    let rejected: unknown;
    await gated.fetch({} as never).catch((e: unknown) => { rejected = e; });
    expect((rejected as AppError).code).to.equal('attestation_unavailable');
    expect(opened).to.equal(0);
    h.up(true);
    await h.readiness.report();
    expect(gated.configured).to.equal(true);
  });

  it('close cancels a pending retry', async () => {
    const h = harness();
    await h.readiness.report();
    expect(h.clock.pending).to.equal(1);
    h.readiness.close();
    expect(h.clock.pending).to.equal(0);
    h.clock.advance(60_000);
    expect(h.probes()).to.equal(1);
  });
});
