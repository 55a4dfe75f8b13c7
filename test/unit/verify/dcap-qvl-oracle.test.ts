// @phala/dcap-qvl (pure-JS DCAP verification, code nobody here wrote) judges Cloister's quote
// checks: on the real Intel fixtures, on tampered copies of them, and on quotes under a
// generated Intel-style PKI where TD attributes and TCB levels can be set at will. Wherever
// dcap-qvl has the check, its verdict and Cloister's agree: dcap-qvl accepts a quote exactly
// when every quote.* check of Cloister passes, and when it refuses one, Cloister fails the check
// that covers dcap-qvl's reason. TCB statuses and advisories agree whenever both get that far.
import { expect } from 'chai';
import { QuoteVerifier } from '@phala/dcap-qvl';
import { bytesToHex, hexToBytes } from '../../../src/tdx/bytes.ts';
import { verifyReport } from '../../../src/verify/verify-report.ts';
import { parsePolicy } from '../../../src/verify/policy.ts';
import type { CheckId, Collateral, VerifyResult } from '../../../src/verify/types.ts';
import { dcapQuote, fixtureJson, intelRootDer, realQuotes } from '../tdx/fixtures.ts';
import { makeSimDcap, teeTcbSvn, type SimDcap } from '../../support/sim-dcap.ts';

const QUOTE_CHECKS: CheckId[] = ['quote.parse', 'quote.signature', 'quote.qe_report', 'quote.pck_chain', 'quote.td_attributes', 'quote.tcb'];
// dcap-qvl accepts every status but Revoked; compare like with like.
const PERMISSIVE = parsePolicy({
  tcb: { allowed_statuses: ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded'], allowed_advisory_ids: ['INTEL-SA-00837'] },
  os: { measurements: [] },
});

/** Which Cloister checks cover each of dcap-qvl's refusals. */
const COVERS: [RegExp, CheckId[]][] = [
  [/Failed to decode quote|Unsupported DCAP|must have version/, ['quote.parse']],
  [/ISV enclave report signature is invalid/, ['quote.signature']],
  [/Signature is invalid for qe_report|QE report hash mismatch/, ['quote.qe_report']],
  [/leaf signature invalid|intermediate signature invalid|CaUsedAsEndEntity|PCK certificates|too short in quote|asn1 encoding/, ['quote.pck_chain']],
  [/expired or not yet valid/, ['quote.pck_chain', 'quote.tcb']],
  [/Debug mode is enabled|Reserved bits in TD attributes|SEPT_VE_DISABLE|mr service td/i, ['quote.td_attributes']],
  [/TCBInfo|QE Identity|Signature is invalid for (tcb_info|qe_identity)|Fmspc mismatch|No matching TCB level|TCB status is invalid|QE (MRSIGNER|ISVPRODID|MISCSELECT|ATTRIBUTES|ISVSVN)|non-TDX TCB info|Certificate is revoked/, ['quote.tcb']],
];

interface Judgement {
  dcap: { ok: true; status: string; advisories: string[] } | { ok: false; error: string };
  cloister: VerifyResult;
}

async function judge(quote: Uint8Array, collateral: Collateral, at: Date, rootDer: Uint8Array): Promise<Judgement> {
  let dcap: Judgement['dcap'];
  try {
    const r = QuoteVerifier.newWithRootCa(Buffer.from(rootDer)).verify(Buffer.from(quote), collateral, Math.floor(at.getTime() / 1000));
    dcap = { ok: true, status: r.status, advisories: r.advisory_ids };
  } catch (e) {
    dcap = { ok: false, error: (e as Error).message };
  }
  const report = { gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: bytesToHex(quote) } };
  const cloister = await verifyReport(report, { collateral, at, trustedRoots: [rootDer], policy: PERMISSIVE });
  return { dcap, cloister };
}

/** Asserts agreement and returns both, for further assertions. */
async function agree(name: string, quote: Uint8Array, collateral: Collateral, at: Date, rootDer: Uint8Array): Promise<Judgement> {
  const j = await judge(quote, collateral, at, rootDer);
  const failed = j.cloister.checks.filter((c) => QUOTE_CHECKS.includes(c.id) && c.status !== 'pass');
  const summary = failed.map((c) => `${c.id}: ${c.detail}`).join(' | ');
  if (j.dcap.ok) {
    expect(failed, `${name}: dcap-qvl accepts (${j.dcap.status}) but Cloister fails ${summary}`).to.deep.equal([]);
    expect(j.cloister.tcbStatus, name).to.equal(j.dcap.status);
    expect([...(j.cloister.advisoryIds ?? [])].sort(), name).to.deep.equal([...j.dcap.advisories].sort());
  } else {
    const error = j.dcap.error;
    const covering = COVERS.find(([re]) => re.test(error));
    expect(covering, `${name}: no mapping for dcap-qvl's "${error}"`).to.not.equal(undefined);
    const ids = failed.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(ids.some((id) => covering![1].includes(id)), `${name}: dcap-qvl refuses ("${error}") but Cloister fails ${ids.join(', ') || 'nothing'} (expected one of ${covering![1].join(', ')})`).to.equal(true);
  }
  return j;
}

function flip(q: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  const t = q.slice();
  t[offset] = (t[offset] as number) ^ mask;
  return t;
}

describe('verify: @phala/dcap-qvl agrees with Cloister', () => {
  const collateral = fixtureJson<Collateral>('dcap-qvl-tdx-quote-collateral.json');
  const intelRoot = intelRootDer();
  const INSIDE = new Date('2025-07-01T00:00:00Z');

  it('the dcap-qvl fixture with its collateral: both UpToDate, same advisories', async () => {
    const j = await agree('dcap-qvl', dcapQuote(), collateral, INSIDE, intelRoot);
    expect(j.dcap).to.include({ ok: true, status: 'UpToDate' });
  });

  for (const [name, raw] of Object.entries(realQuotes())) {
    for (const at of ['2025-07-01T00:00:00Z', '2026-06-01T00:00:00Z']) {
      it(`real quote ${name} at ${at}, with the only collateral there is: same verdict`, async () => {
        await agree(name, raw, collateral, new Date(at), intelRoot);
      });
    }
  }

  it('the nearai quote reaches dcap-qvl\'s FMSPC comparison (every signature valid), and Cloister names FMSPC too', async () => {
    const nearai = realQuotes()['nearai'] as Uint8Array;
    const j = await agree('nearai', nearai, collateral, INSIDE, intelRoot);
    expect(j.dcap).to.deep.equal({ ok: false, error: 'Fmspc mismatch' });
    expect(j.cloister.checks.find((c) => c.id === 'quote.tcb')?.detail).to.match(/FMSPC/);
  });

  const q = dcapQuote();
  const tampers: [string, Uint8Array][] = [
    ['header byte (QE vendor id)', flip(q, 14)],
    ['TD attributes byte', flip(q, 48 + 120 + 7, 0x40)],
    ['MRTD byte', flip(q, 184)],
    ['RTMR3 byte', flip(q, 520)],
    ['report_data byte', flip(q, 600)],
    ['quote signature byte', flip(q, 636 + 5)],
    ['attestation key byte', flip(q, 636 + 64 + 3)],
    ['QE report byte (its report data)', flip(q, 636 + 128 + 6 + 330)],
    ['QE report signature byte', flip(q, 636 + 128 + 6 + 384 + 10)],
    ['QE auth data byte', flip(q, 636 + 128 + 6 + 384 + 64 + 2 + 4)],
    ['PCK leaf certificate byte', flip(q, 1300, 0x02)],
  ];
  for (const [name, tampered] of tampers) {
    it(`a tampered real quote (${name}): both refuse it`, async () => {
      const j = await agree(name, tampered, collateral, INSIDE, intelRoot);
      expect(j.dcap.ok, name).to.equal(false);
    });
  }

  it('altered collateral (TCB info re-labelled): both refuse it', async () => {
    const bad = { ...collateral, tcb_info: collateral.tcb_info.replace('"UpToDate"', '"OutOfDate"') };
    const j = await agree('altered TCB info', dcapQuote(), bad, INSIDE, intelRoot);
    expect(j.dcap.ok).to.equal(false);
  });

  describe('under a generated Intel-style PKI (TD attributes and TCB levels at will)', () => {
    let sim: SimDcap;
    const AT = new Date('2030-01-01T00:00:00Z');
    before(async () => { sim = await makeSimDcap(); });

    it('a production TD at the top TCB level: both UpToDate', async () => {
      const j = await agree('production', await sim.quote(), sim.collateral, AT, sim.rootDer);
      expect(j.dcap).to.include({ ok: true, status: 'UpToDate' });
    });

    const attrs: [string, string, RegExp][] = [
      ['debug TD', '0100001000000000', /Debug mode is enabled/],
      ['reserved TUD bit', '0200001000000000', /Debug mode is enabled|Reserved bits/],
      ['reserved SEC bit', '0000011000000000', /Reserved bits/],
      ['reserved bit 29', '0000003000000000', /Reserved bits/],
      ['reserved OTHER bit', '0000001001000000', /Reserved bits/],
      ['SEPT_VE_DISABLE off', '0000000000000000', /SEPT_VE_DISABLE/],
    ];
    for (const [name, hex, dcapSays] of attrs) {
      it(`finding 2: ${name} — dcap-qvl refuses it, so does Cloister (quote.td_attributes)`, async () => {
        const j = await agree(name, await sim.quote({ tdAttributes: hexToBytes(hex) }), sim.collateral, AT, sim.rootDer);
        expect(j.dcap.ok).to.equal(false);
        expect((j.dcap as { error: string }).error).to.match(dcapSays);
        expect(j.cloister.checks.find((c) => c.id === 'quote.td_attributes')?.status).to.equal('fail');
      });
    }

    it('PKS, KL and PERFMON: both accept', async () => {
      const j = await agree('pks/kl/perfmon', await sim.quote({ tdAttributes: hexToBytes('000000d000000080') }), sim.collateral, AT, sim.rootDer);
      expect(j.dcap.ok).to.equal(true);
    });

    it('TDX 1.5 with a service TD bound: both refuse; without: both accept', async () => {
      const bound = await agree('mrservicetd', await sim.quote({ teeTcbSvn2: new Uint8Array(16), mrServiceTd: new Uint8Array(48).fill(1) }, { version: 5 }), sim.collateral, AT, sim.rootDer);
      expect(bound.dcap.ok).to.equal(false);
      const free = await agree('td15', await sim.quote({ teeTcbSvn2: new Uint8Array(16), mrServiceTd: new Uint8Array(48) }, { version: 5 }), sim.collateral, AT, sim.rootDer);
      expect(free.dcap.ok).to.equal(true);
    });

    it('an OutOfDate TCB level: both say OutOfDate with advisory INTEL-SA-00837; the default policy refuses it, a policy naming both accepts it', async () => {
      const quote = await sim.quote({ teeTcbSvn: teeTcbSvn(2) });
      const j = await agree('out of date', quote, sim.collateral, AT, sim.rootDer);
      expect(j.dcap).to.deep.equal({ ok: true, status: 'OutOfDate', advisories: ['INTEL-SA-00837'] });
      const report = { gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: bytesToHex(quote) } };
      const strict = await verifyReport(report, { collateral: sim.collateral, at: AT, trustedRoots: [sim.rootDer] });
      const tcb = strict.checks.find((c) => c.id === 'quote.tcb')!;
      expect(tcb.status).to.equal('fail');
      expect(tcb.detail).to.match(/^TCB status OutOfDate is not allowed by the policy \(allowed: UpToDate\).*advisories: INTEL-SA-00837/);
      const statusOnly = parsePolicy({ tcb: { allowed_statuses: ['UpToDate', 'OutOfDate'] }, os: { measurements: [] } });
      const still = await verifyReport(report, { collateral: sim.collateral, at: AT, trustedRoots: [sim.rootDer], policy: statusOnly });
      expect(still.checks.find((c) => c.id === 'quote.tcb')!.detail).to.match(/^advisories INTEL-SA-00837 are not allowed by the policy/);
      const both = parsePolicy({ tcb: { allowed_statuses: ['UpToDate', 'OutOfDate'], allowed_advisory_ids: ['INTEL-SA-00837'] }, os: { measurements: [] } });
      const ok = await verifyReport(report, { collateral: sim.collateral, at: AT, trustedRoots: [sim.rootDer], policy: both });
      expect(ok.checks.find((c) => c.id === 'quote.tcb')).to.include({ status: 'pass' });
      expect(ok).to.include({ tcbStatus: 'OutOfDate' });
      expect(ok.advisoryIds).to.deep.equal(['INTEL-SA-00837']);
    });

    it('a Revoked TCB level, a TCB below every level, a revoked PCK certificate, expired collateral: both refuse', async () => {
      await agree('revoked level', await sim.quote({ teeTcbSvn: teeTcbSvn(1) }), sim.collateral, AT, sim.rootDer).then((j) => expect(j.dcap.ok).to.equal(false));
      const revoked = await makeSimDcap({ revokePck: true });
      await agree('revoked pck', await revoked.quote(), revoked.collateral, AT, revoked.rootDer).then((j) => expect(j.dcap.ok).to.equal(false));
      await agree('expired', await sim.quote(), sim.collateral, new Date('2030-03-01T00:00:00Z'), sim.rootDer).then((j) => expect(j.dcap.ok).to.equal(false));
      const low = await makeSimDcap({ platform: { fmspc: '00a06f000000', pceId: '0000', cpuSvn: Array(16).fill(1) as number[], pceSvn: 11 }, levels: [{ sgx: 2, pceSvn: 11, tdx: Array(16).fill(3) as number[], status: 'UpToDate', advisories: [] }] });
      await agree('below every level', await low.quote(), low.collateral, AT, low.rootDer).then((j) => expect(j.dcap.ok).to.equal(false));
    });

    it('a quote under another root: both refuse it', async () => {
      const other = await makeSimDcap();
      await agree('foreign root', await other.quote(), sim.collateral, AT, sim.rootDer).then((j) => expect(j.dcap.ok).to.equal(false));
    });
  });
});
