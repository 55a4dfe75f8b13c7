// Finding 8: existing auditor tools could not read Cloister's report — model_attestations held
// the provider's whole body (or null) where NEAR's and Phala's verifiers expect an array of
// attestation objects, and signing_address was ignored. The judge is NEAR's published verifier's
// parsing and offline gateway checks (test/support/near-verifier-expectations.ts).
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { FAKE_MODEL_SIGNERS, startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { nearCheckGateway, nearParseReport } from '../../support/near-verifier-expectations.ts';
import { objectMembers, arrayElements } from '../../../src/verify/raw-json.ts';

const nonce = (): string => createHash('sha256').update(String(Math.random())).digest('hex');

/** The exact text of each element of the top-level array `key` in a JSON text. */
function elementTexts(text: string, key: string): string[] {
  const span = objectMembers(text).get(key);
  return span ? arrayElements(text, span).map((s) => text.slice(s.start, s.end)) : [];
}

describe('attestation: a report NEAR\'s verifier reads (finding 8)', () => {
  let dir: string;
  let fake: FakeUpstream;
  let t: TestApp;
  before(async () => {
    await resetDatabase();
    dir = await mkdtemp(join(tmpdir(), 'cloister-format-'));
    fake = await startFakeUpstream();
    t = await startTestApp({ ATTESTATION_MODE: 'simulated', DATA_DIR: join(dir, 'a'), OPENAI_BASE_URL: `${fake.url}/v1`, ATTESTATION_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(async () => { await t.close(); await fake.close(); await rm(dir, { recursive: true, force: true }); });

  it('without a model: model_attestations is an empty array (null made NEAR\'s parser throw), and the gateway passes NEAR\'s checks', async () => {
    for (const algo of ['ecdsa', 'ed25519']) {
      const n = nonce();
      const report = await (await t.request(`/v1/attestation/report?nonce=${n}&signing_algo=${algo}`)).json();
      expect(report.model_attestations).to.deep.equal([]);
      const parsed = nearParseReport(report);
      expect(parsed.models).to.deep.equal([]);
      nearCheckGateway(parsed.gateway!, n);
    }
    expect(() => nearParseReport({ model_attestations: null })).to.throw(/model_attestations must be an array when present/);
  });

  it('with a model: the provider\'s attestation objects, each byte for byte, in an array NEAR\'s parser accepts', async () => {
    const n = nonce();
    const res = await t.request(`/v1/attestation/report?nonce=${n}&model=deepseek&signing_algo=ecdsa`);
    expect(res.status).to.equal(200);
    const text = await res.text();
    const asked = fake.requests.filter((r) => r.path.startsWith('/v1/attestation/report')).at(-1)!;
    const upstream = await (await fetch(`${fake.url}${asked.path}`)).text();
    expect(elementTexts(text, 'model_attestations')).to.deep.equal(elementTexts(upstream, 'model_attestations'));
    const parsed = nearParseReport(JSON.parse(text));
    expect(parsed.models!.map((m) => m['signing_address'])).to.deep.equal(FAKE_MODEL_SIGNERS);
    expect(parsed.models!.every((m) => m['request_nonce'] === n)).to.equal(true);
    nearCheckGateway(parsed.gateway!, n);
    expect(JSON.parse(text)).to.not.have.property('upstream_error');
  });

  it('a provider answering one attestation object gets it as a one-element array, byte for byte', async () => {
    const text = await (await t.request(`/v1/attestation/report?nonce=${nonce()}&model=single`)).text();
    const [only] = elementTexts(text, 'model_attestations');
    expect(only).to.match(/^\{ "signing_address" : "0x1{40}", "signing_algo":"ecdsa",.*"x":1\.50 \}$/s);
    expect(nearParseReport(JSON.parse(text)).models).to.have.length(1);
  });

  it('a provider report NEAR\'s parser would refuse is not passed on: an empty array and the reason; a failing provider likewise', async () => {
    const odd = await (await t.request(`/v1/attestation/report?nonce=${nonce()}&model=odd`)).json();
    expect(odd.model_attestations).to.deep.equal([]);
    expect(odd.upstream_error).to.equal('provider attestation 1 has no intel_quote');
    const broken = await t.request(`/v1/attestation/report?nonce=${nonce()}&model=broken`);
    expect(broken.status).to.equal(200);
    const body = await broken.json();
    expect(body.gateway_attestation.intel_quote).to.be.a('string');
    expect(body.model_attestations).to.deep.equal([]);
    expect(body.upstream_error).to.contain('500');
    expect(() => nearParseReport(body)).to.not.throw();
  });

  it('signing_address: Cloister\'s own (any case, with or without 0x) is its report; a provider signer selects that signer\'s attestation', async () => {
    const mine = (await (await t.request('/v1/attestation/report?signing_algo=ecdsa')).json()).gateway_attestation.signing_address as string;
    for (const spelling of [mine, mine.slice(2), mine.toUpperCase().replace('0X', '0x')]) {
      const res = await t.request(`/v1/attestation/report?nonce=${nonce()}&signing_address=${spelling}`);
      expect(res.status, spelling).to.equal(200);
      expect((await res.json()).gateway_attestation.signing_address).to.equal(mine);
    }
    const ed = (await (await t.request('/v1/attestation/report?signing_algo=ed25519')).json()).gateway_attestation.signing_address as string;
    expect((await t.request(`/v1/attestation/report?signing_algo=ed25519&signing_address=${ed}`)).status).to.equal(200);
    const signer = FAKE_MODEL_SIGNERS[1]!;
    const res = await t.request(`/v1/attestation/report?nonce=${nonce()}&model=deepseek&signing_address=${signer}`);
    expect(res.status).to.equal(200);
    const body = await res.json();
    expect(body.model_attestations.map((m: { signing_address: string }) => m.signing_address)).to.deep.equal([signer]);
    expect(fake.requests.filter((r) => r.path.startsWith('/v1/attestation/report')).at(-1)!.path).to.contain(`signing_address=${signer.slice(2)}`);
  });

  it('signing_address of nobody here is a 404, as NEAR answers; a malformed one is a 400', async () => {
    const stranger = '0x' + '99'.repeat(20);
    for (const q of [`signing_address=${stranger}`, `signing_address=${stranger}&model=deepseek`, `signing_address=${stranger}&nonce=${nonce()}`]) {
      const res = await t.request(`/v1/attestation/report?${q}`);
      expect(res.status, q).to.equal(404);
      expect((await res.json()).error).to.include({ code: 'not_found', param: 'signing_address' });
    }
    for (const bad of ['0x12', 'zz'.repeat(20), '11'.repeat(32)]) {
      const res = await t.request(`/v1/attestation/report?signing_address=${bad}`);
      expect(res.status, bad).to.equal(400);
      expect((await res.json()).error.param).to.equal('signing_address');
    }
  });
});
