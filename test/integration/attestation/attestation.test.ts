// The attestation service end to end: simulated mode through the production dstack client,
// a second fake dstack socket, report layout and validation, key stability, single flight,
// upstream passthrough, signature ownership, and a streamed reply's signature verified
// against the bytes the client kept.
import 'reflect-metadata';
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { startFakeDstack } from '../../support/fake-dstack.ts';
import { verifyReport } from '../../../src/verify/verify-report.ts';
import { verifyTextSignature } from '../../../src/verify/response-signature.ts';
import { upsertSignedTexts } from '../../../src/attestation/signature-queries.ts';
import { parseQuote } from '../../../src/tdx/quote-parse.ts';
import { hexToBytes, bytesToHex } from '../../../src/tdx/bytes.ts';
import { startSimulator } from '../../../src/attestation/simulator.ts';
import { manualClock } from '../../support/clock.ts';
import { runVerify } from '../../../src/cli/verify.ts';

const nonce = () => createHash('sha256').update(String(Math.random())).digest('hex');
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('attestation', () => {
  let dir: string;
  let fake: FakeUpstream;
  let t: TestApp;

  before(async () => {
    await resetDatabase();
    dir = await mkdtemp(join(tmpdir(), 'cloister-att-'));
    fake = await startFakeUpstream();
    t = await startTestApp({ ATTESTATION_MODE: 'simulated', DATA_DIR: join(dir, 'a'), OPENAI_BASE_URL: `${fake.url}/v1`, ATTESTATION_RATE_LIMIT_PER_MINUTE: '1000' });
  });
  after(async () => { await t.close(); await fake.close(); await rm(dir, { recursive: true, force: true }); });

  it('a fresh-nonce report from the simulator verifies with --allow-simulated and fails without it', async () => {
    for (const algo of ['ecdsa', 'ed25519'] as const) {
      const n = nonce();
      const res = await t.request(`/v1/attestation/report?nonce=${n}&signing_algo=${algo}`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const report = await res.json();
      const g = report.gateway_attestation;
      expect(g).to.include({ signing_algo: algo, request_nonce: n, simulated: true, tls_cert_fingerprint: null });
      expect(report.model_attestations).to.deep.equal([]);
      expect(g.build).to.have.keys('version', 'git_commit', 'source_date_epoch');
      // report_data = address right-padded to 32 bytes ‖ nonce, at the documented quote offset.
      const address = g.signing_address.replace(/^0x/, '');
      expect(g.report_data).to.equal(address.padEnd(64, '0') + n);
      const quote = parseQuote(hexToBytes(g.intel_quote));
      expect(bytesToHex(quote.body.reportData)).to.equal(g.report_data);
      expect(bytesToHex(hexToBytes(g.intel_quote).subarray(568, 632))).to.equal(g.report_data);

      const ok = await verifyReport(report, { nonce: n, allowSimulated: true });
      expect(ok.checks.filter((c) => c.status === 'fail'), algo).to.deep.equal([]);
      expect(ok.ok).to.equal(true);
      const strict = await verifyReport(report, { nonce: n });
      expect(strict.ok).to.equal(false);
      expect(strict.checks.find((c) => c.id === 'simulated')!.status).to.equal('fail');
    }
  });

  it('validates nonce, algorithm and the TLS option', async () => {
    for (const bad of ['abc', 'z'.repeat(64), 'a'.repeat(66), '']) {
      const res = await t.request(`/v1/attestation/report?nonce=${bad}`);
      expect(res.status, bad).to.equal(400);
      expect((await res.json()).error.code).to.equal('invalid_nonce');
    }
    expect((await t.request('/v1/attestation/report?signing_algo=rsa')).status).to.equal(400);
    const tls = await t.request('/v1/attestation/report?include_tls_fingerprint=true');
    expect(tls.status).to.equal(400);
    expect((await tls.json()).error.param).to.equal('include_tls_fingerprint');
  });

  it('binds the TLS key when Cloister terminates TLS: report_data = sha256(address ‖ SPKI sha256) ‖ nonce', async () => {
    const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: 'CN=localhost', keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } });
    const certFile = join(dir, 'tls.pem');
    const keyFile = join(dir, 'tls.key');
    await writeFile(certFile, cert.toString('pem'));
    await writeFile(keyFile, `-----BEGIN PRIVATE KEY-----\n${Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64')}\n-----END PRIVATE KEY-----\n`);
    const tt = await startTestApp({ ATTESTATION_MODE: 'simulated', DATA_DIR: join(dir, 'tls'), TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });
    try {
      const n = nonce();
      const report = await (await tt.request(`/v1/attestation/report?nonce=${n}&include_tls_fingerprint=true`)).json();
      const g = report.gateway_attestation;
      const spki = sha(new Uint8Array(cert.publicKey.rawData));
      expect(g.tls_cert_fingerprint).to.equal(spki);
      const bind = sha(Buffer.concat([Buffer.from(g.signing_address.slice(2), 'hex'), Buffer.from(spki, 'hex')]));
      expect(g.report_data).to.equal(bind + n);
      expect((await verifyReport(report, { nonce: n, allowSimulated: true })).ok).to.equal(true);
    } finally {
      await tt.close();
    }
  });

  it('keeps the same signing keys across restarts, and across two instances on one dstack socket', async () => {
    const address = async (app: TestApp, algo: string) => (await (await app.request(`/v1/attestation/report?signing_algo=${algo}`)).json()).gateway_attestation.signing_address;
    const first = await address(t, 'ecdsa');
    const restarted = await startTestApp({ ATTESTATION_MODE: 'simulated', DATA_DIR: join(dir, 'a'), ATTESTATION_REPORT_CACHE_SECONDS: '0' });
    try {
      expect(await address(restarted, 'ecdsa')).to.equal(first);
    } finally {
      await restarted.close();
    }
    const socketPath = join(dir, 'shared.sock');
    const sim = await startSimulator({ socketPath, seedFile: join(dir, 'shared-seed'), appCompose: '{}' });
    const one = await startTestApp({ ATTESTATION_MODE: 'dstack', DSTACK_SOCKET: socketPath });
    const two = await startTestApp({ ATTESTATION_MODE: 'dstack', DSTACK_SOCKET: socketPath });
    try {
      for (const algo of ['ecdsa', 'ed25519']) expect(await address(one, algo)).to.equal(await address(two, algo));
    } finally {
      await one.close(); await two.close(); await sim.close();
    }
  });

  it('works against a second, minimal dstack agent; one quote for many concurrent server-nonce requests', async () => {
    const fd = await startFakeDstack(join(dir, 'fake.sock'));
    const app = await startTestApp({ ATTESTATION_MODE: 'dstack', DSTACK_SOCKET: fd.socketPath });
    try {
      const bodies = await Promise.all(Array.from({ length: 20 }, () => app.request('/v1/attestation/report').then((r) => r.json())));
      expect(fd.calls.filter((c) => c.method === 'GetQuote')).to.have.length(1);
      expect(new Set(bodies.map((b) => b.gateway_attestation.request_nonce)).size).to.equal(1);
      const g = bodies[0].gateway_attestation;
      expect(g.intel_quote).to.equal(fd.fixture.get_quote.quote);
      expect(g.simulated).to.equal(false);
      expect(g.info.tcb_info.app_compose).to.equal((fd.fixture.info.tcb_info as { app_compose: string }).app_compose);
      expect(fd.calls.filter((c) => c.method === 'GetKey').map((c) => c.body)).to.deep.include.members([
        { path: 'cloister/signing/ecdsa', purpose: 'signing' }, { path: 'cloister/signing/ed25519', purpose: 'signing' }]);
      // The captured quote carries another report_data: the verifier must say so.
      const v = await verifyReport(bodies[0], {});
      expect(v.checks.find((c) => c.id === 'report_data.binding')!.status).to.equal('fail');
      expect(v.checks.find((c) => c.id === 'quote.pck_chain')!.status).to.equal('pass');
    } finally {
      await app.close(); await fd.close();
    }
  });

  it('rate-limits fresh-nonce quotes per client IP', async () => {
    // The bucket is shared by every replica on the database, as intended.
    const tight = await startTestApp({ ATTESTATION_MODE: 'simulated', DATA_DIR: join(dir, 'rl'), ATTESTATION_RATE_LIMIT_PER_MINUTE: '2' }, { clock: manualClock('2031-05-05T10:00:10Z') });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await tight.request(`/v1/attestation/report?nonce=${nonce()}`)).status);
      expect(statuses).to.deep.equal([200, 200, 429]);
      const limited = await tight.request(`/v1/attestation/report?nonce=${nonce()}`);
      expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
      expect((await tight.request('/v1/attestation/report')).status, 'the cached report stays available').to.equal(200);
    } finally {
      await tight.close();
      // Its clock ran five years ahead: forget the bucket it left, or the other instance's clock waits for 2031.
      await testDatabase().admin.query(`delete from rate_limit_buckets where bucket like 'attestation:%'`);
    }
  });

  it('signs a streamed chat: the signature verifies against the bytes the client sent and kept; others get 404', async () => {
    const alice = await t.userWithKey();
    const bob = await t.userWithKey();
    const requestBytes = JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: 'sign me' }] });
    const res = await t.request('/v1/chat/completions', { key: alice.key, method: 'POST', headers: { 'content-type': 'application/json' }, body: requestBytes });
    const responseBytes = new Uint8Array(await res.arrayBuffer());
    const id = /"id":"(chatcmpl_[^"]+)"/.exec(new TextDecoder().decode(responseBytes))![1]!;
    // Only the text is captured on the reply's path; signatures are made when first asked for, then kept.
    const before = (await testDatabase().admin.query('select text, ecdsa_signature, ed25519_signature from response_signatures where object_id = $1', [id])).rows;
    expect(before).to.deep.equal([{ text: `${sha(requestBytes)}:${sha(responseBytes)}`, ecdsa_signature: null, ed25519_signature: null }]);
    for (const algo of ['ecdsa', 'ed25519']) {
      const sig = await (await t.request(`/v1/signature/${id}?signing_algo=${algo}`, { key: alice.key })).json();
      expect(sig.text).to.equal(`${sha(requestBytes)}:${sha(responseBytes)}`);
      expect(verifyTextSignature(sig.text, sig.signature, sig.signing_address, algo), algo).to.equal(true);
      const report = await (await t.request(`/v1/attestation/report?signing_algo=${algo}`)).json();
      expect(sig.signing_address).to.equal(report.gateway_attestation.signing_address);
    }
    const kept = (await testDatabase().admin.query('select ecdsa_signature, ed25519_signature from response_signatures where object_id = $1', [id])).rows[0];
    expect(kept.ecdsa_signature).to.match(/^0x[0-9a-f]{130}$/);
    expect(kept.ed25519_signature).to.match(/^0x[0-9a-f]{128}$/);
    const again = await (await t.request(`/v1/signature/${id}`, { key: alice.key })).json();
    expect(again.signature).to.equal(kept.ecdsa_signature);
    const foreign = await t.request(`/v1/signature/${id}`, { key: bob.key });
    expect(foreign.status).to.equal(404);
    const unknown = await t.request('/v1/signature/chatcmpl_unknown', { key: bob.key });
    expect({ ...(await foreign.json()).error, message: '' }).to.deep.equal({ ...(await unknown.json()).error, message: '' });
    expect((await t.request(`/v1/signature/${id}`)).status, 'unauthenticated').to.equal(401);
  });

  it('writes the texts of replies finishing together in shared batches, each reply with its own row before its last byte', async () => {
    const alice = await t.userWithKey();
    const bodies = Array.from({ length: 40 }, (_, i) => JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: `batch ${i}` }] }));
    const replies = await Promise.all(bodies.map(async (body) => {
      const res = await t.request('/v1/chat/completions', { key: alice.key, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const bytes = new Uint8Array(await res.arrayBuffer());
      const id = (JSON.parse(new TextDecoder().decode(bytes)) as { id: string }).id;
      // Asked for at once: the row committed before the reply's last byte went out.
      const sigRes = await t.request(`/v1/signature/${id}?signing_algo=ed25519`, { key: alice.key });
      expect(sigRes.status, id).to.equal(200);
      const sig = await sigRes.json();
      return { body, bytes, id, sig };
    }));
    for (const r of replies) {
      expect(r.sig.text, r.id).to.equal(`${sha(r.body)}:${sha(r.bytes)}`);
      expect(verifyTextSignature(r.sig.text, r.sig.signature, r.sig.signing_address, 'ed25519')).to.equal(true);
    }
  });

  it('a repeated object id in one batch is written as if alone: the owner\'s later text wins, another user\'s is ignored', async () => {
    const alice = await t.userWithKey();
    const bob = await t.userWithKey();
    const now = new Date();
    const row = (objectId: string, userId: string, text: string) => ({ objectId, userId, text, now, expiresAt: new Date(now.getTime() + 60_000) });
    const { admin } = testDatabase();
    await upsertSignedTexts(admin, [row('obj_rep_1', alice.userId, 'a1'), row('obj_rep_2', alice.userId, 'a2'), row('obj_rep_1', alice.userId, 'a3'), row('obj_rep_2', bob.userId, 'b4')]);
    const rows = (await admin.query(`select object_id, user_id, text from response_signatures where object_id like 'obj_rep_%' order by object_id`)).rows;
    expect(rows).to.deep.equal([
      { object_id: 'obj_rep_1', user_id: alice.userId, text: 'a3' },
      { object_id: 'obj_rep_2', user_id: alice.userId, text: 'a2' },
    ]);
  });

  it('a modified response byte no longer verifies (the verifier names signature.response)', async () => {
    const { key } = await t.userWithKey();
    const requestBytes = JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'tamper' }] });
    const res = await t.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: requestBytes });
    const responseBytes = new Uint8Array(await res.arrayBuffer());
    const id = JSON.parse(new TextDecoder().decode(responseBytes)).id;
    const sig = await (await t.request(`/v1/signature/${id}`, { key })).json();
    const n = nonce();
    const report = await (await t.request(`/v1/attestation/report?nonce=${n}`)).json();
    const good = await verifyReport(report, { nonce: n, allowSimulated: true, responseSignature: sig, requestBytes: new TextEncoder().encode(requestBytes), responseBytes });
    expect(good.checks.find((c) => c.id === 'signature.response')!.status).to.equal('pass');
    const tampered = responseBytes.slice();
    tampered[10] = tampered[10]! ^ 1;
    const bad = await verifyReport(report, { nonce: n, allowSimulated: true, responseSignature: sig, requestBytes: new TextEncoder().encode(requestBytes), responseBytes: tampered });
    expect(bad.checks.find((c) => c.id === 'signature.response')!.status).to.equal('fail');
  });

  it('cloister verify --url checks a live simulated deployment with a fresh nonce: exit 0 with --allow-simulated, 1 without', async () => {
    const run = async (args: string[]) => {
      const out: string[] = [];
      const code = await runVerify(args, { stdout: (l) => out.push(l), stderr: (l) => out.push(l), readFile: async () => new Uint8Array(), fetch: globalThis.fetch, now: () => new Date() });
      return { code, out: out.join('\n') };
    };
    const ok = await run(['--url', t.url, '--allow-simulated', '--json']);
    expect(ok.code, ok.out).to.equal(0);
    const parsed = JSON.parse(ok.out);
    expect(parsed.ok).to.equal(true);
    expect(parsed.checks.find((c: { id: string }) => c.id === 'report_data.nonce').status).to.equal('pass');
    const strict = await run(['--url', t.url]);
    expect(strict.code).to.equal(1);
    expect(strict.out).to.contain('simulated');
  });
});
