import { expect } from 'chai';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes } from '../../../src/tdx/bytes.ts';
import { buildQuote, encodeSignedPart } from '../../../src/tdx/quote-build.ts';
import { parseQuote } from '../../../src/tdx/quote-parse.ts';

const fill = (len: number, b: number): Uint8Array => new Uint8Array(len).fill(b);

describe('tdx/quote-build', () => {
  const attSk = p256.utils.randomSecretKey();
  const attPk = p256.getPublicKey(attSk, false);
  const pckSk = p256.utils.randomSecretKey();
  const chain = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  const body = {
    mrTd: fill(48, 0x11), mrConfigId: fill(48, 0x22), rtmr0: fill(48, 0x30), rtmr1: fill(48, 0x31),
    rtmr2: fill(48, 0x32), rtmr3: fill(48, 0x33), reportData: fill(64, 0x44), teeTcbSvn: fill(16, 3),
  };

  it('round-trips v4: every field parses back, at the documented offsets', async () => {
    const raw = await buildQuote({
      body, sign: (m) => p256.sign(m, attSk), attestationPublicKey: attPk,
      qeReport: { isvSvn: 4, isvProdId: 2, mrSigner: fill(32, 0x55) },
      signQeReport: (m) => p256.sign(m, pckSk), qeAuthData: fill(32, 7), certChainPem: chain,
    });
    const q = parseQuote(raw);
    expect(q.header.version).to.equal(4);
    expect(q.header.teeType).to.equal(0x81);
    for (const [k, v] of Object.entries(body)) expect(bytesToHex(q.body[k as keyof typeof body]), k).to.equal(bytesToHex(v));
    expect(raw.subarray(184, 232)).to.deep.equal(body.mrTd);
    expect(raw.subarray(568, 632)).to.deep.equal(body.reportData);
    expect(q.attestationKey).to.deep.equal(attPk.subarray(1));
    expect(q.qeReportParsed.isvSvn).to.equal(4);
    expect(q.qeReportParsed.isvProdId).to.equal(2);
    expect(q.pckCertChainPem).to.equal(chain);
    expect(q.trailingBytes).to.equal(0);
    // Signatures are over the documented regions, and the QE binds the attestation key.
    expect(p256.verify(q.signature, q.signedBytes, attPk)).to.equal(true);
    expect(p256.verify(q.qeReportSignature, q.qeReport, p256.getPublicKey(pckSk, false))).to.equal(true);
    expect(q.qeReportParsed.reportData.subarray(0, 32)).to.deep.equal(sha256(concatBytes(attPk.subarray(1), fill(32, 7))));
  });

  it('builds v5 quotes with a TDX 1.5 body that parse back', async () => {
    const raw = await buildQuote({
      header: { version: 5 }, body: { ...body, mrServiceTd: fill(48, 9), teeTcbSvn2: fill(16, 1) },
      sign: (m) => p256.sign(m, attSk), attestationPublicKey: attPk,
      qeReportSignature: fill(64, 1), certChainPem: chain,
    });
    const q = parseQuote(raw);
    expect(q.header.version).to.equal(5);
    expect(q.bodyType).to.equal(3);
    expect(q.bodyOffset).to.equal(54);
    expect(q.body.mrServiceTd).to.deep.equal(fill(48, 9));
    expect(q.body.rtmr3).to.deep.equal(body.rtmr3);
    expect(q.signedBytes.length).to.equal(54 + 648);
    expect(p256.verify(q.signature, q.signedBytes, attPk)).to.equal(true);
  });

  it('passes exactly header ‖ body to the signer', async () => {
    let seen: Uint8Array | undefined;
    await buildQuote({ body, sign: (m) => { seen = m; return fill(64, 0); }, attestationPublicKey: attPk, qeReportSignature: fill(64, 0), certChainPem: chain });
    expect(seen).to.deep.equal(encodeSignedPart(undefined, body));
    expect(seen?.length).to.equal(632);
  });

  it('rejects wrong field sizes and DER-encoded signatures with a clear message', async () => {
    const base = { sign: () => fill(64, 0), attestationPublicKey: attPk, qeReportSignature: fill(64, 0), certChainPem: chain };
    let err: unknown;
    try { await buildQuote({ ...base, body: { mrTd: fill(47, 0) } }); } catch (e) { err = e; }
    expect(String(err)).to.match(/mrTd must be 48 bytes/);
    err = undefined;
    try { await buildQuote({ ...base, body, sign: () => fill(70, 0) }); } catch (e) { err = e; }
    expect(String(err)).to.match(/raw 64-byte/);
  });
});
