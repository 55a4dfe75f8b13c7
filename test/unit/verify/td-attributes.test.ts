// Finding 2: TD attributes were never checked, so a debug TD (whose memory the host can read)
// passed. Simulated quotes are signed after their attributes are set, so only this check can
// notice; real quotes show what production dstack TDs carry.
import { expect } from 'chai';
import { hexToBytes } from '../../../src/tdx/bytes.ts';
import { verifyReport } from '../../../src/verify/verify-report.ts';
import type { Check, VerifyResult } from '../../../src/verify/types.ts';
import { realQuotes } from '../tdx/fixtures.ts';
import { bytesToHex } from '../../../src/tdx/bytes.ts';
import { makeSimReport } from './sim-report.ts';

const byId = (r: VerifyResult, id: string): Check => r.checks.find((c) => c.id === id) as Check;
const failing = (r: VerifyResult): string[] => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
/** SEPT_VE_DISABLE (bit 28) plus the given bits. */
function attrs(...bits: number[]): Uint8Array {
  const a = hexToBytes('0000001000000000');
  for (const n of bits) a[n >> 3] = (a[n >> 3] as number) ^ (1 << (n & 7));
  return a;
}

describe('verify: TD attributes (finding 2)', () => {
  for (const [name, raw] of Object.entries(realQuotes())) {
    it(`real quote ${name}: production attributes pass`, async () => {
      const r = await verifyReport({ gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: bytesToHex(raw) } }, { at: new Date('2026-06-01T00:00:00Z') });
      expect(byId(r, 'quote.td_attributes').status, byId(r, 'quote.td_attributes').detail).to.equal('pass');
      expect(byId(r, 'quote.td_attributes').detail).to.match(/DEBUG off, reserved bits clear, SEPT_VE_DISABLE set/);
    });
  }

  it('a debug TD fails quote.td_attributes (and only it) even though every signature is valid', async () => {
    const sim = await makeSimReport({ tdAttributes: attrs(0) });
    const r = await verifyReport(sim.report, { nonce: sim.nonce, allowSimulated: true });
    expect(failing(r)).to.deep.equal(['quote.td_attributes']);
    expect(byId(r, 'quote.td_attributes').detail).to.match(/DEBUG is set/);
    expect(r.ok).to.equal(false);
  });

  for (const [bitNo, label] of [[1, 'TUD'], [8, 'SEC low'], [27, 'SEC high'], [29, 'bit 29'], [32, 'OTHER low'], [62, 'OTHER high']] as const) {
    it(`a reserved bit (${bitNo}, ${label}) fails`, async () => {
      const sim = await makeSimReport({ tdAttributes: attrs(bitNo) });
      const c = byId(await verifyReport(sim.report, { allowSimulated: true }), 'quote.td_attributes');
      expect(c.status).to.equal('fail');
      expect(c.detail).to.contain(`reserved bit(s) ${bitNo} set`);
    });
  }

  it('SEPT_VE_DISABLE off fails', async () => {
    const sim = await makeSimReport({ tdAttributes: attrs(28) });
    expect(byId(await verifyReport(sim.report, { allowSimulated: true }), 'quote.td_attributes').detail).to.match(/SEPT_VE_DISABLE is not set/);
  });

  it('PKS, KL and PERFMON are allowed, as dcap-qvl allows them', async () => {
    const sim = await makeSimReport({ tdAttributes: attrs(30, 31, 63) });
    const c = byId(await verifyReport(sim.report, { allowSimulated: true }), 'quote.td_attributes');
    expect(c.status, c.detail).to.equal('pass');
    expect(c.detail).to.match(/PKS, KL, PERFMON on/);
  });

  it('TDX 1.5 (quote v5): MRSERVICETD must be zero', async () => {
    const ok = await makeSimReport({ td15MrServiceTd: new Uint8Array(48) });
    const r = await verifyReport(ok.report, { allowSimulated: true });
    expect(byId(r, 'quote.parse').detail).to.match(/v5.*body type 3/);
    expect(byId(r, 'quote.td_attributes')).to.include({ status: 'pass' });
    const bound = await makeSimReport({ td15MrServiceTd: new Uint8Array(48).fill(9) });
    expect(byId(await verifyReport(bound.report, { allowSimulated: true }), 'quote.td_attributes').detail).to.match(/MRSERVICETD .* not zero/);
  });
});
