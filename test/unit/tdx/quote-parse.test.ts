import { expect } from 'chai';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '../../../src/tdx/bytes.ts';
import { parseQuote } from '../../../src/tdx/quote-parse.ts';
import { TEE_TYPE_TDX } from '../../../src/tdx/quote-layout.ts';
import { nearai, realQuotes, dcapQuote, dstackReport } from './fixtures.ts';

describe('tdx/quote-parse', () => {
  for (const [name, raw] of Object.entries(realQuotes())) {
    it(`parses the real ${name} quote as v4 TDX with a PCK chain`, () => {
      const q = parseQuote(raw);
      expect(q.header.version).to.equal(4);
      expect(q.header.teeType).to.equal(TEE_TYPE_TDX);
      expect(q.header.attestationKeyType).to.equal(2);
      expect(q.signedBytes.length).to.equal(632);
      expect(q.qeReport.length).to.equal(384);
      expect(q.pckCertChainPem.match(/BEGIN CERTIFICATE/g)).to.have.length(3);
      // The QE binds the attestation key: report data = sha256(key ‖ auth data).
      expect(bytesToHex(q.qeReportParsed.reportData.subarray(0, 32))).to.equal(bytesToHex(sha256(concatBytes(q.attestationKey, q.qeAuthData))));
    });
  }

  it('reads fields at the documented offsets (report_data 568..632, MRTD 184, MRCONFIGID 232, RTMR3 520)', () => {
    const raw = dcapQuote();
    const q = parseQuote(raw);
    expect(bytesToHex(q.body.reportData)).to.equal('9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20');
    expect(q.body.reportData).to.deep.equal(raw.subarray(568, 632));
    expect(q.body.mrTd).to.deep.equal(raw.subarray(184, 232));
    expect(q.body.mrConfigId).to.deep.equal(raw.subarray(232, 280));
    expect(q.body.rtmr0).to.deep.equal(raw.subarray(376, 424));
    expect(q.body.rtmr3).to.deep.equal(raw.subarray(520, 568));
  });

  it('matches the nearai sample: RTMR3, MRTD, MRCONFIGID = 01 ‖ compose hash, report_data = 0x01 * 64', () => {
    const s = nearai();
    const q = parseQuote(hexToBytes(s.get_quote.quote));
    expect(bytesToHex(q.body.rtmr3)).to.equal('e0c3b8611824cdcc6e2687ea3a6bb3039c485441ce6ceaf21109e338aa6a430074876029c0ca4565e7d71fdaaedf56a6');
    expect(bytesToHex(q.body.mrTd)).to.equal(s.info.tcb_info['mrtd']);
    expect(bytesToHex(q.body.mrConfigId)).to.equal('01' + s.info.compose_hash + '00'.repeat(15));
    expect(bytesToHex(q.body.reportData)).to.equal('01'.repeat(64));
  });

  it('accepts the zero padding dstack appends after the signature data', () => {
    expect(parseQuote(hexToBytes(dstackReport().quote)).trailingBytes).to.equal(70);
  });

  it('rejects a truncated quote, naming the field that runs short', () => {
    const raw = dcapQuote();
    expect(() => parseQuote(raw.subarray(0, 600))).to.throw(/TD report body/);
    expect(() => parseQuote(raw.subarray(0, 30))).to.throw(/header/);
    expect(() => parseQuote(raw.subarray(0, 4000))).to.throw(/signature data/);
  });

  it('rejects unknown versions and non-zero trailing data', () => {
    const raw = dcapQuote().slice();
    raw[0] = 3;
    expect(() => parseQuote(raw)).to.throw(/version: 3 is not supported/);
    const padded = dcapQuote().slice();
    padded[padded.length - 1] = 1;
    expect(() => parseQuote(padded)).to.throw(/trailing data/);
  });

  it('rejects a signature data length that disagrees with its parts', () => {
    const raw = dcapQuote().slice();
    raw[632] = (raw[632] as number) - 1;
    expect(() => parseQuote(raw)).to.throw(/bad|length|runs past|size/);
  });
});
