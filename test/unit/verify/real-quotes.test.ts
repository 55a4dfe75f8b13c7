// The real Intel quotes in the fixtures: signatures and chain verify to the pinned Intel root;
// the dcap-qvl collateral gives UpToDate only inside its validity window.
import { expect } from 'chai';
import { bytesToHex } from '../../../src/tdx/bytes.ts';
import { verifyReport } from '../../../src/verify/verify-report.ts';
import { INTEL_SGX_ROOT_CA_SHA256, intelSgxRootCa } from '../../../src/verify/intel-root.ts';
import { sha256 } from '@noble/hashes/sha2.js';
import type { Check, Collateral, VerifyResult } from '../../../src/verify/types.ts';
import { dcapQuote, fixtureJson, intelRootDer, nearai, dstackReport, realQuotes, tdxLite } from '../tdx/fixtures.ts';
import { makePki } from './sim-report.ts';

const AT = new Date('2025-07-01T00:00:00Z');
// Every real PCK certificate in the fixtures is valid at this time (the newest was issued 2026-04-15).
const AT_CHAIN = new Date('2026-06-01T00:00:00Z');
const byId = (r: VerifyResult, id: string): Check => r.checks.find((c) => c.id === id) as Check;
const gw = (quoteHex: string, extra: Record<string, unknown> = {}): unknown => ({ gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: quoteHex, simulated: false, ...extra } });

describe('verify: real Intel quotes', () => {
  it('embeds exactly the Intel SGX Root CA from the fixtures', () => {
    expect(intelSgxRootCa()).to.deep.equal(intelRootDer());
    expect(bytesToHex(sha256(intelSgxRootCa()))).to.equal(INTEL_SGX_ROOT_CA_SHA256);
  });

  for (const [name, raw] of Object.entries(realQuotes())) {
    it(`${name}: quote signature, QE report and PCK chain verify to the Intel root`, async () => {
      const r = await verifyReport(gw(bytesToHex(raw)), { at: AT_CHAIN });
      for (const id of ['quote.parse', 'quote.signature', 'quote.qe_report', 'quote.pck_chain']) expect(byId(r, id).status, `${id}: ${byId(r, id).detail}`).to.equal('pass');
      expect(byId(r, 'quote.pck_chain').detail).to.match(/Intel SGX Root CA/);
      expect(byId(r, 'quote.tcb').status).to.equal('skip');
    });
  }

  describe('dcap-qvl quote with its collateral', () => {
    const collateral = fixtureJson<Collateral>('dcap-qvl-tdx-quote-collateral.json');
    const report = gw(bytesToHex(dcapQuote()));
    for (const at of ['2025-06-19T10:16:03Z', '2025-06-20T00:00:00Z', '2025-07-10T12:00:00Z', '2025-07-19T10:16:03Z']) {
      it(`is UpToDate at ${at} (inside the window)`, async () => {
        const r = await verifyReport(report, { collateral, at: new Date(at) });
        expect(byId(r, 'quote.tcb').status, byId(r, 'quote.tcb').detail).to.equal('pass');
        expect(r.tcbStatus).to.equal('UpToDate');
      });
    }
    for (const at of ['2025-06-19T10:16:02Z', '2025-06-01T00:00:00Z', '2025-07-19T10:16:04Z', '2026-01-01T00:00:00Z']) {
      it(`fails quote.tcb at ${at} (outside the window)`, async () => {
        const r = await verifyReport(report, { collateral, at: new Date(at) });
        expect(byId(r, 'quote.tcb').status).to.equal('fail');
        expect(byId(r, 'quote.tcb').detail).to.match(/collateral (expired|not yet valid)/);
        expect(r.ok).to.equal(false);
      });
    }
    it('fails quote.tcb when the TCB info was altered (signature breaks)', async () => {
      const bad = { ...collateral, tcb_info: collateral.tcb_info.replace('"UpToDate"', '"UpToDatE"') };
      const r = await verifyReport(report, { collateral: bad, at: AT });
      expect(byId(r, 'quote.tcb').detail).to.match(/TCB info signature does not verify/);
    });
    it('fails quote.tcb when the collateral is for another platform (FMSPC)', async () => {
      const r = await verifyReport(gw(nearai().get_quote.quote), { collateral, at: AT });
      expect(byId(r, 'quote.tcb').status).to.equal('fail');
      expect(byId(r, 'quote.tcb').detail).to.match(/FMSPC/);
    });
  });

  it('nearai sample passes replay, compose hash, MRCONFIGID, binding and nonce (but its image is not pinned)', async () => {
    const s = nearai();
    const r = await verifyReport({ gateway_attestation: { signing_address: '01'.repeat(32), signing_algo: 'ed25519', intel_quote: s.get_quote.quote, event_log: s.get_quote.event_log, info: s.info, simulated: false } }, { at: AT, nonce: '01'.repeat(32) });
    for (const id of ['quote.pck_chain', 'event_log.replay', 'app_compose.hash', 'app_compose.mrconfigid', 'report_data.binding', 'report_data.nonce']) expect(byId(r, id).status, `${id}: ${byId(r, id).detail}`).to.equal('pass');
    expect(byId(r, 'app_compose.images_pinned').status).to.equal('fail');
    expect(byId(r, 'app_compose.images_pinned').detail).to.include('ghcr.io/agent-infra/sandbox:v1');
    expect(r.ok).to.equal(false);
  });

  it('dstack-quote-report: replays, lists the app event apart, MRCONFIGID zero is a skip', async () => {
    const f = dstackReport();
    const r = await verifyReport(gw(f.quote, { event_log: f.event_log }), { at: AT_CHAIN });
    expect(byId(r, 'event_log.replay').status).to.equal('pass');
    expect(byId(r, 'event_log.replay').detail).to.match(/after system-ready, not boot measurements: LIUM_MINER_HOTKEY/);
    expect(byId(r, 'app_compose.mrconfigid').status).to.equal('skip');
    expect(byId(r, 'app_compose.mrconfigid').detail).to.match(/older dstack/);
  });

  it('finding 1: a real quote with MRCONFIGID zero and a forged compose-hash payload (digest kept) fails event_log.replay, naming the event', async () => {
    const f = dstackReport();
    const invented = JSON.stringify({ manifest_version: 2, name: 'evil', runner: 'docker-compose', docker_compose_file: `services:\n  x:\n    image: evil/evil@sha256:${'ee'.repeat(32)}\n` });
    const inventedHash = bytesToHex(sha256(new TextEncoder().encode(invented)));
    const events = (JSON.parse(f.event_log) as Record<string, unknown>[]).map((e) => (e['event'] === 'compose-hash' ? { ...e, event_payload: inventedHash } : e));
    const report = gw(f.quote, { event_log: events, info: { compose_hash: inventedHash, tcb_info: { app_compose: invented } } });
    const r = await verifyReport(report, { at: AT_CHAIN, composeHash: inventedHash, imageDigest: 'sha256:' + 'ee'.repeat(32) });
    expect(byId(r, 'event_log.replay').status).to.equal('fail');
    expect(byId(r, 'event_log.replay').detail).to.match(/"compose-hash".*digest/);
    expect(byId(r, 'app_compose.hash').status).to.equal('fail');
    expect(r.ok).to.equal(false);
  });

  it('tdx-lite: the stripped event log replays', async () => {
    const f = tdxLite();
    const r = await verifyReport(gw(f.quote, { event_log: f.event_log }), { at: AT_CHAIN });
    expect(byId(r, 'event_log.replay').status, byId(r, 'event_log.replay').detail).to.equal('pass');
  });

  it('a foreign root fails quote.pck_chain for a real quote', async () => {
    const pki = await makePki('CN=Some Other Root');
    const r = await verifyReport(gw(bytesToHex(dcapQuote())), { at: AT, trustedRoots: [pki.rootDer] });
    expect(byId(r, 'quote.pck_chain').status).to.equal('fail');
    expect(byId(r, 'quote.pck_chain').detail).to.match(/not a trusted root/);
    expect(byId(r, 'quote.signature').status).to.equal('pass');
  });

  it('certificates outside their validity fail quote.pck_chain', async () => {
    const r = await verifyReport(gw(bytesToHex(dcapQuote())), { at: new Date('2040-01-01T00:00:00Z') });
    expect(byId(r, 'quote.pck_chain').status).to.equal('fail');
    expect(byId(r, 'quote.pck_chain').detail).to.match(/expired/);
  });
});
