// A valid simulated report, then one change at a time: each must fail the right check id.
import { expect } from 'chai';
import { bytesToHex, hexToBytes, utf8 } from '../../../src/tdx/bytes.ts';
import { ed25519 } from '@noble/curves/ed25519.js';
import { verifyReport, VerifyInputError } from '../../../src/verify/verify-report.ts';
import { signedText, verifyTextSignature } from '../../../src/verify/response-signature.ts';
import type { AttestationReport, Check, VerifyOptions, VerifyResult } from '../../../src/verify/types.ts';
import { IMAGE, makeSimReport, type SimReport } from './sim-report.ts';

const byId = (r: VerifyResult, id: string): Check => r.checks.find((c) => c.id === id) as Check;
const failing = (r: VerifyResult): string[] => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
const clone = (r: AttestationReport): AttestationReport => structuredClone(r);

describe('verify: simulated report and tampering', () => {
  let sim: SimReport;
  let base: VerifyOptions;
  before(async () => {
    sim = await makeSimReport();
    base = { nonce: sim.nonce, allowSimulated: true };
  });

  it('a simulated report passes every check with allowSimulated', async () => {
    const request = utf8('{"model":"m","messages":[]}');
    const response = utf8('{"id":"chatcmpl-1"}');
    const r = await verifyReport(sim.report, { ...base, appCompose: sim.appCompose, composeHash: sim.composeHash, imageDigest: IMAGE, responseSignature: sim.signExchange(request, response), requestBytes: request, responseBytes: response });
    expect(failing(r)).to.deep.equal([]);
    expect(r.ok).to.equal(true);
    expect(r.checks.map((c) => c.id)).to.deep.equal(['quote.parse', 'quote.signature', 'quote.qe_report', 'quote.pck_chain', 'quote.td_attributes', 'quote.tcb', 'report_data.binding', 'report_data.nonce', 'os.measurements', 'event_log.replay', 'app_compose.hash', 'app_compose.mrconfigid', 'app_compose.images_pinned', 'signature.response', 'simulated']);
    expect(byId(r, 'quote.pck_chain').detail).to.match(/simulated root accepted/);
    expect(byId(r, 'simulated').detail).to.match(/SIMULATED/);
    expect(byId(r, 'os.measurements')).to.include({ status: 'skip', brief: 'simulated' });
    expect(r.verdict).to.equal('PASS, skipped: quote.tcb (no collateral), os.measurements (simulated)');
  });

  it('without allowSimulated it fails "simulated", the chain (not Intel) and the OS (not a dstack OS)', async () => {
    const r = await verifyReport(sim.report, { nonce: sim.nonce });
    expect(failing(r)).to.deep.equal(['quote.pck_chain', 'os.measurements', 'simulated']);
    expect(byId(r, 'os.measurements').detail).to.match(/not a dstack OS the policy trusts \("dstack-0\.6\.0/);
    expect(r.ok).to.equal(false);
  });

  it('a report that does not say simulated gets no simulated-root exception', async () => {
    const t = clone(sim.report);
    t.gateway_attestation.simulated = false;
    const r = await verifyReport(t, base);
    expect(failing(r)).to.deep.equal(['quote.pck_chain', 'os.measurements']);
  });

  it('the generated root is accepted when passed as a trusted root', async () => {
    const r = await verifyReport(sim.report, { nonce: sim.nonce, trustedRoots: [sim.pki.rootDer] });
    expect(byId(r, 'quote.pck_chain').status).to.equal('pass');
  });

  for (const off of [5 * 2 + 8, 100, 250, 400, 560, 600]) {
    it(`a flipped byte at ${off} in the signed region fails quote.signature`, async () => {
      const t = clone(sim.report);
      const q = hexToBytes(t.gateway_attestation.intel_quote);
      q[off] = (q[off] as number) ^ 0x01;
      t.gateway_attestation.intel_quote = bytesToHex(q);
      const r = await verifyReport(t, base);
      expect(byId(r, 'quote.signature').status).to.equal('fail');
    });
  }

  it('a flipped byte in the QE report fails quote.qe_report', async () => {
    const t = clone(sim.report);
    const q = hexToBytes(t.gateway_attestation.intel_quote);
    q[636 + 128 + 6 + 10] = (q[636 + 128 + 6 + 10] as number) ^ 0x80;
    t.gateway_attestation.intel_quote = bytesToHex(q);
    const r = await verifyReport(t, base);
    expect(failing(r)).to.deep.equal(['quote.qe_report']);
  });

  it('a truncated quote fails quote.parse and the verdict', async () => {
    const t = clone(sim.report);
    t.gateway_attestation.intel_quote = t.gateway_attestation.intel_quote.slice(0, 1200);
    const r = await verifyReport(t, base);
    expect(byId(r, 'quote.parse').status).to.equal('fail');
    expect(byId(r, 'quote.parse').detail).to.match(/signature data|needs bytes/);
    expect(byId(r, 'quote.signature').status).to.equal('skip');
    expect(r.ok).to.equal(false);
  });

  it('reordered events fail event_log.replay', async () => {
    const t = clone(sim.report);
    const ev = t.gateway_attestation.event_log as Record<string, unknown>[];
    [ev[1], ev[2]] = [ev[2] as Record<string, unknown>, ev[1] as Record<string, unknown>];
    const r = await verifyReport(t, base);
    expect(byId(r, 'event_log.replay').status).to.equal('fail');
    expect(byId(r, 'event_log.replay').detail).to.match(/RTMR3/);
  });

  it('an altered event payload fails event_log.replay', async () => {
    const t = clone(sim.report);
    const ev = t.gateway_attestation.event_log as Record<string, unknown>[];
    const i = ev.findIndex((e) => e['event'] === 'compose-hash');
    ev[i] = { ...ev[i], digest: '', event_payload: 'ee'.repeat(32) };
    const r = await verifyReport(t, base);
    expect(byId(r, 'event_log.replay').status).to.equal('fail');
  });

  it('an app event emitted after system-ready cannot stand in for compose-hash', async () => {
    const t = clone(sim.report);
    const ev = t.gateway_attestation.event_log as Record<string, unknown>[];
    // Remove the boot compose-hash, keep the log replaying by moving it after system-ready.
    const i = ev.findIndex((e) => e['event'] === 'compose-hash');
    const [moved] = ev.splice(i, 1);
    ev.push(moved as Record<string, unknown>);
    const r = await verifyReport(t, base);
    // RTMR3 now differs too, but even a consistent log would not count it as boot measurement.
    expect(byId(r, 'app_compose.hash').status).to.equal('fail');
  });

  it('a different app-compose fails app_compose.hash', async () => {
    const r1 = await verifyReport(sim.report, { ...base, appCompose: sim.appCompose.replace('cloister', 'c1oister') });
    expect(failing(r1)).to.deep.equal(['app_compose.hash']);
    const r2 = await verifyReport(sim.report, { ...base, composeHash: 'ff'.repeat(32) });
    expect(failing(r2)).to.deep.equal(['app_compose.hash']);
    const t = clone(sim.report);
    const tcb = t.gateway_attestation.info?.tcb_info as Record<string, unknown>;
    tcb['app_compose'] = (tcb['app_compose'] as string).replace('8080:8080', '8081:8080');
    const r3 = await verifyReport(t, base);
    expect(byId(r3, 'app_compose.hash').status).to.equal('fail');
  });

  it('a wrong nonce fails report_data.nonce only', async () => {
    const r = await verifyReport(sim.report, { ...base, nonce: '00'.repeat(32) });
    expect(failing(r)).to.deep.equal(['report_data.nonce']);
    const t = clone(sim.report);
    t.gateway_attestation.request_nonce = 'ab'.repeat(32);
    expect(failing(await verifyReport(t, base))).to.deep.equal(['report_data.nonce']);
  });

  it('no nonce is a skip that says freshness is not proven', async () => {
    const r = await verifyReport(sim.report, { allowSimulated: true });
    expect(byId(r, 'report_data.nonce').status).to.equal('skip');
    expect(r.ok).to.equal(true);
  });

  it('a swapped signing address fails report_data.binding', async () => {
    const t = clone(sim.report);
    t.gateway_attestation.signing_address = '0x' + '12'.repeat(20);
    const r = await verifyReport(t, base);
    expect(failing(r)).to.deep.equal(['report_data.binding']);
  });

  it('a TLS fingerprint that is not bound fails report_data.binding', async () => {
    const t = clone(sim.report);
    t.gateway_attestation.tls_cert_fingerprint = '34'.repeat(32);
    expect(failing(await verifyReport(t, base))).to.deep.equal(['report_data.binding']);
  });

  it('a modified response byte fails signature.response', async () => {
    const request = utf8('{"model":"m"}');
    const response = utf8('data: {"x":1}\n\ndata: [DONE]\n\n');
    const sig = sim.signExchange(request, response);
    const changed = response.slice();
    changed[7] = 0x79;
    const r = await verifyReport(sim.report, { ...base, responseSignature: sig, requestBytes: request, responseBytes: changed });
    expect(failing(r)).to.deep.equal(['signature.response']);
    expect(byId(r, 'signature.response').detail).to.match(/does not match the bytes you kept/);
  });

  it('a signature by another key or a forged text fails signature.response', async () => {
    const request = utf8('a');
    const response = utf8('b');
    const other = await makeSimReport({ pki: sim.pki });
    const sig = sim.signExchange(request, response);
    // Right text, address claims the attested key, but the signature bytes are wrong.
    const forged = { ...sig, signature: '0x' + 'ab'.repeat(64) + '1b' };
    const r1 = await verifyReport(sim.report, { ...base, responseSignature: forged, requestBytes: request, responseBytes: response });
    expect(byId(r1, 'signature.response').status).to.equal('fail');
    const r2 = await verifyReport(sim.report, { ...base, responseSignature: { ...sig, signing_address: '0x' + '99'.repeat(20) }, requestBytes: request, responseBytes: response });
    expect(byId(r2, 'signature.response').detail).to.match(/not by the attested/);
    expect(other.report.gateway_attestation.signing_address).to.equal(sim.report.gateway_attestation.signing_address);
  });

  it('an unpinned image or a different expected digest fails app_compose.images_pinned', async () => {
    const loose = await makeSimReport({ image: 'ghcr.io/cloister/cloister:latest', pki: sim.pki });
    const r1 = await verifyReport(loose.report, { nonce: loose.nonce, allowSimulated: true });
    expect(failing(r1)).to.deep.equal(['app_compose.images_pinned']);
    const r2 = await verifyReport(sim.report, { ...base, imageDigest: 'sha256:' + 'cd'.repeat(32) });
    expect(failing(r2)).to.deep.equal(['app_compose.images_pinned']);
    const r3 = await verifyReport(sim.report, { ...base, imageDigest: 'sha256:' + 'ab'.repeat(32) });
    expect(byId(r3, 'app_compose.images_pinned').status).to.equal('pass');
  });

  it('rejects unusable options and non-reports as input errors', async () => {
    let e: unknown;
    try { await verifyReport(sim.report, { nonce: 'xyz' }); } catch (err) { e = err; }
    expect(e).to.be.instanceOf(VerifyInputError);
    e = undefined;
    try { await verifyReport([1, 2], {}); } catch (err) { e = err; }
    expect(e).to.be.instanceOf(VerifyInputError);
  });

  it('verifies ed25519 text signatures', () => {
    const sk = new Uint8Array(32).fill(3);
    const pk = ed25519.getPublicKey(sk);
    const text = signedText(utf8('q'), utf8('r'));
    const sig = ed25519.sign(utf8(text), sk);
    expect(verifyTextSignature(text, bytesToHex(sig), bytesToHex(pk), 'ed25519')).to.equal(true);
    expect(verifyTextSignature(text + 'x', bytesToHex(sig), bytesToHex(pk), 'ed25519')).to.equal(false);
  });
});
