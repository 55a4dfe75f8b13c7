// `cloister verify` through runVerify with fake I/O: exit codes 0/1/2, --json shape, --url
// with a fresh nonce, response signatures from files.
import { expect } from 'chai';
import { utf8 } from '../../../src/tdx/bytes.ts';
import { bytesToHex } from '../../../src/tdx/bytes.ts';
import { runVerify, type VerifyIo } from '../../../src/cli/verify.ts';
import { CHECK_IDS } from '../../../src/verify/types.ts';
import { makeSimReport, type SimReport } from './sim-report.ts';
import { dcapQuote, fixtureBytes } from '../tdx/fixtures.ts';

interface Fake { io: VerifyIo; out: string[]; err: string[]; urls: string[] }

function fakeIo(files: Record<string, Uint8Array | string>, respond?: (url: string) => Response): Fake {
  const out: string[] = [];
  const err: string[] = [];
  const urls: string[] = [];
  const io: VerifyIo = {
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    readFile: async (p) => {
      const f = files[p];
      if (f === undefined) throw new Error('ENOENT: no such file');
      return typeof f === 'string' ? utf8(f) : f;
    },
    fetch: (async (u: string | URL | Request) => {
      urls.push(String(u));
      if (!respond) throw new Error('network disabled in tests');
      return respond(String(u));
    }) as typeof fetch,
    now: () => new Date('2026-06-01T00:00:00Z'),
  };
  return { io, out, err, urls };
}

describe('cloister verify (runVerify)', () => {
  let sim: SimReport;
  let reportJson: string;
  before(async () => {
    sim = await makeSimReport();
    reportJson = JSON.stringify(sim.report);
  });

  it('exit 0 with --allow-simulated: the policy, one line per check, and a PASS verdict naming every skip', async () => {
    const f = fakeIo({ 'r.json': reportJson });
    expect(await runVerify(['--report', 'r.json', '--nonce', sim.nonce, '--allow-simulated'], f.io)).to.equal(0);
    expect(f.out).to.have.length(CHECK_IDS.length + 2);
    expect(f.out[0]).to.equal('policy: default (attestation/verify-policy.json, built in)');
    expect(f.out[1]).to.match(/^✓ quote\.parse/);
    expect(f.out.find((l) => l.includes('quote.tcb'))).to.match(/^– /);
    expect(f.out.at(-1)).to.equal('VERDICT: PASS, skipped: quote.tcb (no collateral), os.measurements (simulated), signature.response (no response signature given)');
  });

  it('finding 6: without a nonce the verdict says freshness is not proven', async () => {
    const f = fakeIo({ 'r.json': reportJson });
    expect(await runVerify(['--report', 'r.json', '--allow-simulated'], f.io)).to.equal(0);
    expect(f.out.at(-1)).to.contain('report_data.nonce (no nonce: freshness not proven)');
    expect(f.out.at(-1)).to.contain('quote.tcb (no collateral)');
    expect(f.out.at(-1)).to.not.contain('every check');
  });

  it('finding 6: --require names checks that must run; a skipped one fails the verdict (exit 1)', async () => {
    const f = fakeIo({ 'r.json': reportJson });
    expect(await runVerify(['--report', 'r.json', '--allow-simulated', '--require', 'quote.tcb,report_data.nonce'], f.io)).to.equal(1);
    expect(f.out.at(-1)).to.equal('VERDICT: FAIL — required but skipped: quote.tcb (no collateral), report_data.nonce (no nonce: freshness not proven); skipped: os.measurements (simulated), signature.response (no response signature given)');
    const ok = fakeIo({ 'r.json': reportJson });
    expect(await runVerify(['--report', 'r.json', '--allow-simulated', '--nonce', sim.nonce, '--require', 'report_data.nonce', '--require', 'event_log.replay'], ok.io)).to.equal(0);
  });

  it('exit 1 without --allow-simulated, naming the failed checks', async () => {
    const f = fakeIo({ 'r.json': reportJson });
    expect(await runVerify(['--report', 'r.json', '--nonce', sim.nonce], f.io)).to.equal(1);
    expect(f.out.find((l) => l.includes(' simulated '))).to.match(/^✗ /);
    expect(f.out.at(-1)).to.equal('VERDICT: FAIL — quote.pck_chain, os.measurements, simulated; skipped: quote.tcb (no collateral), signature.response (no response signature given)');
  });

  it('finding 10: --json carries every field: verdict, TCB status, advisories, policy, and per check its requiredness and skip reason', async () => {
    const f = fakeIo({ 'r.json': reportJson });
    expect(await runVerify(['--report', 'r.json', '--json', '--nonce', '00'.repeat(32), '--allow-simulated', '--require', 'quote.tcb'], f.io)).to.equal(1);
    expect(f.out).to.have.length(1);
    const j = JSON.parse(f.out[0] as string) as { ok: boolean; verdict: string; tcb_status: unknown; advisory_ids: unknown; policy: string; checks: Record<string, unknown>[] };
    expect(Object.keys(j)).to.deep.equal(['ok', 'verdict', 'tcb_status', 'advisory_ids', 'policy', 'checks']);
    expect(j).to.include({ ok: false, tcb_status: null, advisory_ids: null });
    expect(j.verdict).to.match(/^FAIL — report_data\.nonce; required but skipped: quote\.tcb/);
    expect(j.checks.map((c) => c['id'])).to.deep.equal([...CHECK_IDS]);
    expect(j.checks.find((c) => c['id'] === 'quote.tcb')).to.deep.equal({ id: 'quote.tcb', status: 'skip', detail: 'no collateral given (--collateral FILE or --pccs-url URL)', required: true, brief: 'no collateral' });
    expect(j.checks.find((c) => c['id'] === 'report_data.nonce')).to.include({ status: 'fail', required: false });
  });

  it('--require with an unknown check id is bad input (exit 2)', async () => {
    const f = fakeIo({ 'r.json': reportJson });
    expect(await runVerify(['--report', 'r.json', '--require', 'quote.tbc'], f.io)).to.equal(2);
    expect(f.err[0]).to.match(/"quote\.tbc" is not a check id/);
  });

  it('reads the report from stdin with --report -', async () => {
    const f = fakeIo({ '-': reportJson });
    expect(await runVerify(['--report', '-', '--allow-simulated'], f.io)).to.equal(0);
  });

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    ['a missing file', ['--report', 'nope.json'], {}, /cannot read report nope.json/],
    ['unparseable JSON', ['--report', 'r.json'], { 'r.json': '{not json' }, /report is not valid JSON/],
    ['a bad hex nonce', ['--report', 'r.json', '--nonce', 'zz'], { 'r.json': '{}' }, /--nonce is not hex/],
    ['a short compose hash', ['--report', 'r.json', '--compose-hash', 'abcd'], { 'r.json': '{}' }, /--compose-hash must be 32 bytes/],
    ['neither --report nor --url', [], {}, /exactly one of --report/],
    ['an unknown flag', ['--report', 'r.json', '--frobnicate'], {}, /Unknown option/],
    ['a bad --at', ['--report', 'r.json', '--at', 'yesterday'], { 'r.json': '{}' }, /--at is not a date/],
    ['--signature without --request/--response', ['--report', 'r.json', '--signature', 's.json'], {}, /go together/],
    ['a JSON value that is not a report', ['--report', 'r.json'], { 'r.json': '[1,2]' }, /gateway_attestation|JSON object/],
  ];
  for (const [name, argv, files, msg] of bad) {
    it(`exit 2 for ${name}, with a clear message`, async () => {
      const f = fakeIo(files);
      expect(await runVerify(argv, f.io)).to.equal(2);
      expect(f.err.join('\n')).to.match(msg);
      expect(f.out).to.deep.equal([]);
    });
  }

  it('--url fetches the report with a fresh random nonce and checks it came back', async () => {
    let asked = '';
    const f = fakeIo({}, (u) => {
      asked = new URL(u).searchParams.get('nonce') ?? '';
      return new Response(reportJson, { status: 200 });
    });
    // The canned report carries another nonce, so the echo check must fail.
    expect(await runVerify(['--url', 'http://cloister.test', '--allow-simulated'], f.io)).to.equal(1);
    expect(f.urls[0]).to.match(/^http:\/\/cloister\.test\/v1\/attestation\/report\?nonce=[0-9a-f]{64}$/);
    expect(asked).to.not.equal(sim.nonce);
    expect(f.out.find((l) => l.includes('report_data.nonce'))).to.match(/^✗ /);
  });

  it('--url passes when the server answers with a quote for our nonce', async () => {
    const f = fakeIo({}, () => new Response(reportJson, { status: 200 }));
    expect(await runVerify(['--url', 'http://cloister.test/', '--nonce', sim.nonce, '--allow-simulated'], f.io)).to.equal(0);
  });

  it('--url with an HTTP error is bad input (exit 2)', async () => {
    const f = fakeIo({}, () => new Response('nope', { status: 503 }));
    expect(await runVerify(['--url', 'http://cloister.test'], f.io)).to.equal(2);
    expect(f.err[0]).to.match(/HTTP 503/);
  });

  it('checks a response signature from files; one changed response byte fails it', async () => {
    const request = utf8('{"model":"m","stream":true}');
    const response = utf8('data: {"choices":[]}\n\ndata: [DONE]\n\n');
    const sig = JSON.stringify(sim.signExchange(request, response));
    const changed = response.slice();
    changed[3] = 0x41;
    const ok = fakeIo({ 'r.json': reportJson, 's.json': sig, 'req': request, 'res': response });
    expect(await runVerify(['--report', 'r.json', '--allow-simulated', '--signature', 's.json', '--request', 'req', '--response', 'res'], ok.io)).to.equal(0);
    expect(ok.out.find((l) => l.includes('signature.response'))).to.match(/^✓ /);
    const bad = fakeIo({ 'r.json': reportJson, 's.json': sig, 'req': request, 'res': changed });
    expect(await runVerify(['--report', 'r.json', '--allow-simulated', '--signature', 's.json', '--request', 'req', '--response', 'res'], bad.io)).to.equal(1);
    expect(bad.out.at(-1)).to.match(/^VERDICT: FAIL — signature\.response; skipped: /);
  });

  it('evaluates collateral at --at (UpToDate inside the window, fail after)', async () => {
    const files = { 'r.json': JSON.stringify({ gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: bytesToHex(dcapQuote()) } }), 'c.json': fixtureBytes('dcap-qvl-tdx-quote-collateral.json') };
    const inside = fakeIo(files);
    await runVerify(['--report', 'r.json', '--collateral', 'c.json', '--at', '2025-07-01T00:00:00Z', '--json'], inside.io);
    const ji = JSON.parse(inside.out[0] as string) as { tcb_status: string; advisory_ids: string[]; checks: { id: string; status: string; detail: string }[] };
    const ci = ji.checks.find((c) => c.id === 'quote.tcb');
    expect(ci?.status).to.equal('pass');
    expect(ci?.detail).to.match(/UpToDate/);
    expect(ji).to.include({ tcb_status: 'UpToDate' });
    expect(ji.advisory_ids).to.deep.equal([]);
    const after = fakeIo(files);
    await runVerify(['--report', 'r.json', '--collateral', 'c.json', '--at', '2025-08-01T00:00:00Z', '--json'], after.io);
    const ca = (JSON.parse(after.out[0] as string) as { checks: { id: string; status: string }[] }).checks.find((c) => c.id === 'quote.tcb');
    expect(ca?.status).to.equal('fail');
  });

  it('--help prints usage and exits 0', async () => {
    const f = fakeIo({});
    expect(await runVerify(['--help'], f.io)).to.equal(0);
    expect(f.out[0]).to.match(/^usage: cloister verify/);
  });
});
