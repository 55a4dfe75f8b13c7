// The verification policy (finding 3: nothing tied the quote to a genuine dstack OS; finding 6:
// the TCB policy was undocumented): the shipped default, strict parsing, OS pinning with the
// real dstack quotes, and the application pins.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { decode } from 'cborg';
import { bytesToHex } from '../../../src/tdx/bytes.ts';
import { parseEventLog } from '../../../src/tdx/event-log.ts';
import { verifyReport, VerifyInputError } from '../../../src/verify/verify-report.ts';
import { parsePolicy } from '../../../src/verify/policy.ts';
import { DEFAULT_POLICY_JSON, defaultPolicy } from '../../../src/verify/default-policy.ts';
import type { Check, VerifyPolicy, VerifyResult } from '../../../src/verify/types.ts';
import { runVerify } from '../../../src/cli/verify.ts';
import { dstackReport, nearai, tdxLite } from '../tdx/fixtures.ts';
import { IMAGE, makeSimReport } from './sim-report.ts';

const byId = (r: VerifyResult, id: string): Check => r.checks.find((c) => c.id === id) as Check;
const AT = new Date('2026-06-01T00:00:00Z');
const SHIPPED = new URL('../../../attestation/verify-policy.json', import.meta.url);
const lite = (): unknown => {
  const f = tdxLite();
  return { gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: f.quote, event_log: f.event_log, vm_config: f.vm_config } };
};
const withPolicy = (change: (p: Record<string, unknown>) => void): VerifyPolicy => {
  const p = structuredClone(DEFAULT_POLICY_JSON) as unknown as Record<string, unknown>;
  change(p);
  return parsePolicy(p);
};
const expectInputError = (f: () => unknown, msg: RegExp): void => {
  let err: unknown;
  try { f(); } catch (e) { err = e; }
  expect(err).to.be.instanceOf(VerifyInputError);
  expect((err as Error).message).to.match(msg);
};

describe('verify: policy', () => {
  it('the shipped attestation/verify-policy.json is the built-in default, and it parses', () => {
    expect(JSON.parse(readFileSync(SHIPPED, 'utf8'))).to.deep.equal(DEFAULT_POLICY_JSON);
    const p = defaultPolicy();
    expect(p.tcb).to.deep.equal({ allowed_statuses: ['UpToDate'], allowed_advisory_ids: [] });
    expect(p.os.measurements.map((m) => m.name)).to.deep.equal(['dstack-0.6.0 (TDX lite, OVMF pre202505), 2 vCPU, 2 GiB, QEMU 8.2.2']);
  });

  it('parsing is strict: unknown keys, bad hex, unknown statuses, Revoked, bad advisory ids and unknown check ids are errors', () => {
    expectInputError(() => parsePolicy({ tcb: { allowed_statuses: [] }, os: { measurements: [] }, extra: 1 }), /unknown key "extra"/);
    expectInputError(() => parsePolicy({ tcb: { allowed_statuses: ['UpToDate'] } }), /"os" is required/);
    expectInputError(() => parsePolicy({ tcb: { allowed_statuses: ['Fine'] }, os: { measurements: [] } }), /"Fine" is not an Intel TCB status/);
    expectInputError(() => parsePolicy({ tcb: { allowed_statuses: ['Revoked'] }, os: { measurements: [] } }), /Revoked can never be acceptable/);
    expectInputError(() => parsePolicy({ tcb: { allowed_statuses: [], allowed_advisory_ids: ['SA-1'] }, os: { measurements: [] } }), /not an Intel advisory id/);
    expectInputError(() => parsePolicy({ tcb: { allowed_statuses: [] }, os: { measurements: [{ name: 'x', mrtd: 'ab', rtmr0: '', rtmr1: '', rtmr2: '' }] } }), /mrtd: must be 48 bytes/);
    expectInputError(() => parsePolicy({ tcb: { allowed_statuses: [] }, os: { measurements: [] }, require: ['quote.tbc'] }), /"quote.tbc" is not a check id/);
    expectInputError(() => parsePolicy({ tcb: { allowed_statuses: [] }, os: { measurements: [] }, app: { image_digests: ['sha256:ab'] } }), /not a sha256:<64 hex> digest/);
  });

  it('finding 3: the dstack-0.6.0 quote is the OS Cloister targets; its os_image_hash claims are the listed ones', async () => {
    const r = await verifyReport(lite(), { at: AT });
    const c = byId(r, 'os.measurements');
    expect(c.status, c.detail).to.equal('pass');
    expect(c.detail).to.contain('"dstack-0.6.0 (TDX lite');
    expect(c.detail).to.contain('measured os-image-hash event, vm_config');
  });

  it('finding 3: a genuine Intel quote of another dstack OS build fails os.measurements under the default policy, and passes once the policy trusts it', async () => {
    const s = nearai();
    const report = { gateway_attestation: { signing_address: '01'.repeat(32), signing_algo: 'ed25519', intel_quote: s.get_quote.quote, event_log: s.get_quote.event_log, info: s.info } };
    const strict = await verifyReport(report, { at: AT });
    expect(byId(strict, 'quote.pck_chain').status).to.equal('pass');
    expect(byId(strict, 'os.measurements').status).to.equal('fail');
    expect(byId(strict, 'os.measurements').detail).to.match(/^MRTD f06dfda6dce1cf90…/);
    const t = s.info.tcb_info;
    const trusting = withPolicy((p) => { (p['os'] as { measurements: unknown[] }).measurements.push({ name: 'phala prod8 dstack 0.5.x', mrtd: t['mrtd'], rtmr0: t['rtmr0'], rtmr1: t['rtmr1'], rtmr2: t['rtmr2'], os_image_hashes: [s.info.os_image_hash] }); });
    expect(byId(await verifyReport(report, { at: AT, policy: trusting }), 'os.measurements').status).to.equal('pass');
    const otherHash = withPolicy((p) => { (p['os'] as { measurements: unknown[] }).measurements.push({ name: 'phala prod8', mrtd: t['mrtd'], rtmr0: t['rtmr0'], rtmr1: t['rtmr1'], rtmr2: t['rtmr2'], os_image_hashes: ['00'.repeat(32)] }); });
    expect(byId(await verifyReport(report, { at: AT, policy: otherHash }), 'os.measurements').detail).to.match(/claims os_image_hash 6809f73c.* \(measured os-image-hash event\)/);
  });

  it('a host claiming another os_image_hash in vm_config fails os.measurements', async () => {
    const r = lite() as { gateway_attestation: Record<string, unknown> };
    r.gateway_attestation['vm_config'] = JSON.stringify({ ...JSON.parse(tdxLite().vm_config as string), os_image_hash: 'ab'.repeat(32) });
    expect(byId(await verifyReport(r, { at: AT }), 'os.measurements').detail).to.match(/abab.* \(vm_config\)/);
  });

  it('an empty OS list in the policy is a named skip', async () => {
    const none = withPolicy((p) => { (p['os'] as { measurements: unknown[] }).measurements = []; });
    const r = await verifyReport(lite(), { at: AT, policy: none });
    expect(byId(r, 'os.measurements')).to.include({ status: 'skip', brief: 'policy pins no OS' });
    expect(r.verdict).to.contain('os.measurements (policy pins no OS)');
  });

  it('the shipped measurements re-derive from the dstack-0.6.0 image\'s own measurement document', () => {
    // How an auditor checks the default policy's dstack-0.6.0 entry without trusting us: the image
    // publishes measurement.tdx.cbor; sha256 of it is listed in sha256sum.txt; sha256 of that file is
    // the os_image_hash dstack names the image by. The document carries MRTD and the kernel, command
    // line and initrd digests that RTMR1 and RTMR2 extend.
    const vm = JSON.parse(tdxLite().vm_config as string) as { os_image_hash: string; tdx_measurement: { measurement: string; checksum_file: string } };
    const entry = defaultPolicy().os.measurements[0]!;
    const cbor = Buffer.from(vm.tdx_measurement.measurement, 'base64');
    const sums = Buffer.from(vm.tdx_measurement.checksum_file, 'base64').toString('utf8');
    expect(sums).to.equal(`${createHash('sha256').update(cbor).digest('hex')}  measurement.tdx.cbor\n`);
    expect(createHash('sha256').update(sums).digest('hex')).to.equal(vm.os_image_hash);
    expect(entry.os_image_hashes).to.include(vm.os_image_hash);
    const doc = decode(cbor, { useMaps: false }) as { image: Record<string, Uint8Array>; tdvf: { mrtd: { two_pass: Uint8Array } } };
    expect(bytesToHex(doc.tdvf.mrtd.two_pass)).to.equal(entry.mrtd);
    const events = parseEventLog(tdxLite().event_log);
    const rtmr = (imr: number): string => {
      let mr = Buffer.alloc(48);
      for (const e of events.filter((x) => x.imr === imr)) mr = createHash('sha384').update(mr).update(Buffer.from(e.digest, 'hex')).digest();
      return mr.toString('hex');
    };
    const digests = (imr: number): string[] => events.filter((e) => e.imr === imr).map((e) => e.digest);
    expect(digests(1)).to.include(bytesToHex(doc.image['kernel_authenticode'] as Uint8Array));
    expect(digests(2)).to.deep.equal([bytesToHex(doc.image['cmdline_sha384'] as Uint8Array), bytesToHex(doc.image['initrd_sha384'] as Uint8Array)]);
    expect([rtmr(1), rtmr(2)]).to.deep.equal([entry.rtmr1, entry.rtmr2]);
    expect(events.find((e) => e.event === 'os-image-hash')?.event_payload).to.be.oneOf(entry.os_image_hashes);
  });

  it('app pins: compose hashes and image digests the policy allows', async () => {
    const sim = await makeSimReport();
    const opts = { allowSimulated: true };
    const allowed = withPolicy((p) => { p['app'] = { compose_hashes: [sim.composeHash], image_digests: [IMAGE.slice(IMAGE.indexOf('@') + 1)] }; });
    const ok = await verifyReport(sim.report, { ...opts, policy: allowed });
    expect(byId(ok, 'app_compose.hash').detail).to.contain('allowed by the policy');
    expect(byId(ok, 'app_compose.images_pinned').detail).to.contain('every one allowed by the policy');
    const other = withPolicy((p) => { p['app'] = { compose_hashes: ['ab'.repeat(32)], image_digests: ['sha256:' + 'cd'.repeat(32)] }; });
    const bad = await verifyReport(sim.report, { ...opts, policy: other });
    expect(byId(bad, 'app_compose.hash').detail).to.match(/not one the policy allows/);
    expect(byId(bad, 'app_compose.images_pinned').detail).to.match(/not allowed by the policy: ghcr\.io\/cloister\/cloister@sha256:abab/);
  });

  it('the policy\'s "require" list works like --require', async () => {
    const sim = await makeSimReport();
    const r = await verifyReport(sim.report, { allowSimulated: true, policy: withPolicy((p) => { p['require'] = ['report_data.nonce']; }) });
    expect(r.ok).to.equal(false);
    expect(r.verdict).to.match(/required but skipped: report_data\.nonce/);
  });

  it('cloister verify --policy FILE: used and named; unreadable or invalid policies are bad input (exit 2)', async () => {
    const report = JSON.stringify(lite());
    const run = async (files: Record<string, string>, args: string[]): Promise<{ code: number; out: string[]; err: string[] }> => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runVerify(args, {
        stdout: (l) => out.push(l), stderr: (l) => err.push(l), fetch: globalThis.fetch, now: () => AT,
        readFile: async (p) => { if (!(p in files)) throw new Error('ENOENT'); return new TextEncoder().encode(files[p]); },
      });
      return { code, out, err };
    };
    const none = JSON.stringify({ tcb: { allowed_statuses: ['UpToDate'] }, os: { measurements: [] } });
    const used = await run({ 'r.json': report, 'p.json': none }, ['--report', 'r.json', '--policy', 'p.json']);
    expect(used.out[0]).to.equal('policy: p.json');
    expect(used.out.find((l) => l.includes('os.measurements'))).to.match(/^– .*pins no OS/);
    expect((await run({ 'r.json': report }, ['--report', 'r.json', '--policy', 'nope.json'])).err[0]).to.match(/cannot read policy nope\.json/);
    const invalid = await run({ 'r.json': report, 'p.json': '{"tcb":{"allowed_statuses":["UpToDate"]},"os":{"measurements":[]},"tbc":1}' }, ['--report', 'r.json', '--policy', 'p.json']);
    expect(invalid.code).to.equal(2);
    expect(invalid.err[0]).to.match(/policy \(top level\): unknown key "tbc"/);
    expect((await run({ 'r.json': report, 'p.json': '{' }, ['--report', 'r.json', '--policy', 'p.json'])).err[0]).to.match(/policy is not valid JSON/);
  });

  it('dstack-quote-report (older dstack, no os-image-hash event) is not the targeted OS either', async () => {
    const f = dstackReport();
    const r = await verifyReport({ gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: f.quote, event_log: f.event_log, vm_config: f.vm_config } }, { at: AT });
    expect(byId(r, 'os.measurements').status).to.equal('fail');
  });
});
