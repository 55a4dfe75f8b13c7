import { expect } from 'chai';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '../../../src/tdx/bytes.ts';
import { bindFromAddress, bindFromAddressAndTls, buildReportData } from '../../../src/tdx/report-data.ts';

describe('tdx/report-data', () => {
  const addr = new Uint8Array(20).fill(0xab);
  const nonce = new Uint8Array(32).fill(0x05);

  it('pads a 20-byte Ethereum address to 32 bytes and appends the nonce', () => {
    const rd = buildReportData(bindFromAddress(addr), nonce);
    expect(bytesToHex(rd)).to.equal('ab'.repeat(20) + '00'.repeat(12) + '05'.repeat(32));
  });

  it('uses a 32-byte Ed25519 key as is', () => {
    expect(bindFromAddress(new Uint8Array(32).fill(1))).to.deep.equal(new Uint8Array(32).fill(1));
  });

  it('binds the TLS key as sha256(address ‖ sha256(SPKI))', () => {
    const spki = sha256(new Uint8Array([1, 2, 3]));
    expect(bindFromAddressAndTls(addr, spki)).to.deep.equal(sha256(concatBytes(addr, spki)));
  });

  it('rejects wrong lengths', () => {
    expect(() => buildReportData(new Uint8Array(31), nonce)).to.throw(/32 bytes/);
    expect(() => bindFromAddress(new Uint8Array(33))).to.throw(/1..32/);
    expect(() => bindFromAddressAndTls(addr, new Uint8Array(20))).to.throw(/32 bytes/);
  });
});
