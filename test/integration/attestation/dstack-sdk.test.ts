// Finding 7: the simulator was not what it said — the official SDK failed every call on it. The
// official @phala/dstack-sdk (pinned in test/oracles) is the client here, for every call
// Cloister makes and every one the SDK offers; what it gets is checked against dstack's own
// definitions, computed in this file.
import 'reflect-metadata';
import net from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as x509 from '@peculiar/x509';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { DstackClient } from 'cloister-test-oracles/dstack-sdk';
import { startSimulator, type Simulator } from '../../../src/attestation/simulator.ts';
import { SIMULATED_ROOT_NAME } from '../../../src/attestation/simulator-pki.ts';
import { createDstackClient } from '../../../src/attestation/dstack-client.ts';
import { KEY_PATHS } from '../../../src/attestation/signing-keys.ts';
import { parseQuote } from '../../../src/tdx/quote-parse.ts';
import { bytesToHex, hexToBytes } from '../../../src/tdx/bytes.ts';
import { parseEventLog, replayRtmrs } from '../../../src/tdx/event-log.ts';
import { verifyReport } from '../../../src/verify/verify-report.ts';

const APP_COMPOSE = JSON.stringify({ manifest_version: 2, name: 'sdk-test', runner: 'docker-compose', docker_compose_file: 'services: {}\n' });

/** The raw HTTP answer to one request on the socket, as the SDK's own socket client sees it. */
function rawCall(socketPath: string, path: string, body: string): Promise<{ head: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection({ path: socketPath }, () => {
      s.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    let data = '';
    const parts = (): { head: string; body: string } => {
      const i = data.indexOf('\r\n\r\n');
      return i < 0 ? { head: '', body: '' } : { head: data.slice(0, i).toLowerCase(), body: data.slice(i + 4) };
    };
    // Like the SDK: read the head, then exactly Content-Length bytes, then hang up.
    s.on('data', (c) => {
      data += c;
      const p = parts();
      const length = /content-length: (\d+)/.exec(p.head)?.[1];
      if (p.head && (length === undefined || Buffer.byteLength(p.body) >= Number(length))) s.end();
    });
    s.on('end', () => resolve(parts()));
    s.on('error', reject);
  });
}

function recoverCompressed(digest: Uint8Array, sig: Uint8Array): string {
  expect(sig).to.have.length(65);
  const recovered = Uint8Array.from([sig[64]!, ...sig.subarray(0, 64)]);
  return bytesToHex(secp256k1.recoverPublicKey(recovered, digest, { prehash: false }));
}

describe('attestation: the official @phala/dstack-sdk against the simulator (finding 7)', () => {
  let dir: string;
  let sim: Simulator;
  let sdk: InstanceType<typeof DstackClient>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cloister-sdk-'));
    sim = await startSimulator({ socketPath: join(dir, 'dstack.sock'), seedFile: join(dir, 'seed'), appCompose: APP_COMPOSE });
    sdk = new DstackClient(sim.socketPath);
  });
  after(async () => { await sim.close(); await rm(dir, { recursive: true, force: true }); });

  it('answers with Content-Length, never chunked, and one JSON body', async () => {
    for (const method of ['/Info', '/GetQuote', '/GetKey', '/Version', '/Nope']) {
      const r = await rawCall(sim.socketPath, method, method === '/GetQuote' ? '{"report_data":"00"}' : '{}');
      expect(r.head, method).to.not.match(/transfer-encoding/);
      const length = Number(/content-length: (\d+)/.exec(r.head)?.[1]);
      expect(Buffer.byteLength(r.body), method).to.equal(length);
      expect(() => JSON.parse(r.body), method).to.not.throw();
    }
  });

  it('Version: the SDK reads it (and so may use ed25519 keys and TLS key options)', async () => {
    const v = await sdk.version();
    expect(v).to.include({ version: '0.6.0', rev: 'cloister-simulator' });
  });

  it('Info: every field the real agent sends, tcb_info as JSON text the SDK parses, mr_aggregated by dstack\'s formula', async () => {
    const info = await sdk.info();
    expect(info).to.include.keys('app_id', 'instance_id', 'app_name', 'device_id', 'mr_aggregated', 'os_image_hash', 'key_provider_info', 'compose_hash', 'app_cert', 'tcb_info', 'vm_config', 'cloud_vendor', 'cloud_product');
    const tcb = info.tcb_info as unknown as Record<string, string>;
    expect(tcb).to.include.keys('mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'rtmr3', 'mr_aggregated', 'os_image_hash', 'compose_hash', 'device_id', 'event_log', 'app_compose');
    expect(tcb['app_compose']).to.equal(APP_COMPOSE);
    expect(info.compose_hash).to.equal(createHash('sha256').update(APP_COMPOSE).digest('hex'));
    const body = parseQuote(hexToBytes((await sdk.getQuote('00')).quote)).body;
    const regs = [body.mrTd, body.rtmr0, body.rtmr1, body.rtmr2, body.rtmr3, body.mrConfigId, body.mrOwner, body.mrOwnerConfig].map((b) => Buffer.from(b));
    expect(info.mr_aggregated).to.equal(createHash('sha256').update(Buffer.concat(regs)).digest('hex'));
    expect(tcb['mrtd']).to.equal(bytesToHex(body.mrTd));
    expect(JSON.parse(info.vm_config as string)).to.include({ os_image_hash: info.os_image_hash });
    const appCert = new x509.X509Certificate(info.app_cert as string);
    expect(appCert.subject).to.equal('CN=demo-cert');
  });

  it('GetKey is derived from the path (never the purpose) and signed by a chain ending at the KMS root Info names', async () => {
    const a = await sdk.getKey('cloister/signing/ecdsa', 'signing');
    const b = await sdk.getKey('cloister/signing/ecdsa', 'another purpose');
    const c = await sdk.getKey('cloister/signing/ed25519', 'signing');
    expect(bytesToHex(a.key)).to.equal(bytesToHex(b.key));
    expect(bytesToHex(a.key)).to.not.equal(bytesToHex(c.key));
    expect(a.signature_chain).to.have.length(2);
    const derivedPublic = bytesToHex(secp256k1.getPublicKey(a.key, true));
    const appPublic = recoverCompressed(keccak_256(new TextEncoder().encode(`signing:${derivedPublic}`)), a.signature_chain[0]!);
    expect(recoverCompressed(keccak_256(new TextEncoder().encode(`another purpose:${derivedPublic}`)), b.signature_chain[0]!)).to.equal(appPublic);
    const info = await sdk.info();
    const kmsRoot = recoverCompressed(keccak_256(Buffer.concat([Buffer.from('dstack-kms-issued:'), Buffer.from(info.app_id, 'hex'), Buffer.from(appPublic, 'hex')])), a.signature_chain[1]!);
    expect(JSON.parse(info.key_provider_info)).to.deep.equal({ name: 'kms', id: kmsRoot });
    const ed = await sdk.getKey('cloister/signing/ed25519', 'signing', 'ed25519');
    expect(bytesToHex(ed.key)).to.equal(bytesToHex(c.key));
    const edPublic = bytesToHex(ed25519.getPublicKey(ed.key));
    expect(recoverCompressed(keccak_256(new TextEncoder().encode(`signing:${edPublic}`)), ed.signature_chain[0]!)).to.equal(appPublic);
    let err: unknown;
    try { await sdk.getKey('x', 'y', 'rsa'); } catch (e) { err = e; }
    expect(err, 'an unsupported algorithm is refused').to.be.instanceOf(Error);
  });

  it('the keys Cloister derives through its own client are the ones the SDK gets', async () => {
    const ours = createDstackClient(sim.socketPath);
    try {
      for (const path of Object.values(KEY_PATHS)) expect(bytesToHex(await ours.getKey(path, 'signing'))).to.equal(bytesToHex((await sdk.getKey(path, 'signing')).key));
    } finally {
      await ours.close();
    }
  });

  it('GetQuote: report_data as asked, RTMR3 digests stripped like the real agent, and the log still replays to the quote', async () => {
    // The SDK hex-encodes a string argument as text; bytes go as bytes.
    const reportData = 'ab'.repeat(64);
    const q = await sdk.getQuote(Buffer.from(reportData, 'hex'));
    expect(q.report_data).to.equal(reportData);
    const quote = parseQuote(hexToBytes(q.quote));
    expect(bytesToHex(quote.body.reportData)).to.equal(reportData);
    const events = JSON.parse(q.event_log) as { imr: number; digest: string }[];
    expect(events.filter((e) => e.imr === 3).length).to.be.greaterThan(0);
    expect(events.filter((e) => e.imr === 3).every((e) => e.digest === '')).to.equal(true);
    // The SDK's own replay trusts digests, so it cannot replay a stripped log; a verifier must recompute.
    expect(q.replayRtmrs()[3]).to.not.equal(bytesToHex(quote.body.rtmr3));
    expect(bytesToHex(replayRtmrs(parseEventLog(q.event_log)).rtmrs[3])).to.equal(bytesToHex(quote.body.rtmr3));
    expect(JSON.parse(q.vm_config as string)).to.have.property('os_image_hash');
    const short = await sdk.getQuote(Uint8Array.of(1, 2));
    expect(short.report_data).to.equal('0102' + '00'.repeat(62));
  });

  it('EmitEvent extends RTMR3 after system-ready; the verifier lists it apart from the boot measurements', async () => {
    await sdk.emitEvent('cloister-test-event', 'payload');
    const q = await sdk.getQuote('00');
    const replay = replayRtmrs(parseEventLog(q.event_log));
    expect(replay.appEvents.map((e) => e.event)).to.deep.equal(['cloister-test-event']);
    expect(replay.appEvents[0]!.event_payload).to.equal(Buffer.from('payload').toString('hex'));
    const info = await sdk.info();
    const report = { gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: q.quote, event_log: q.event_log, info, simulated: true } };
    const r = await verifyReport(report, { allowSimulated: true });
    expect(r.checks.find((c) => c.id === 'event_log.replay')?.detail).to.match(/after system-ready, not boot measurements: cloister-test-event/);
    expect(r.checks.find((c) => c.id === 'app_compose.hash')?.status).to.equal('pass');
  });

  it('GetTlsKey: a P-256 key and a chain from the simulated app CA; with RA-TLS, the certificate carries a quote binding its key', async () => {
    const t = await sdk.getTlsKey({ subject: 'cloister.test', altNames: ['cloister.test', 'www.cloister.test'], usageRaTls: true, usageServerAuth: true });
    expect(t.key).to.match(/^-----BEGIN PRIVATE KEY-----/);
    expect(t.asUint8Array().length).to.be.greaterThan(100);
    expect(t.certificate_chain).to.have.length(2);
    const [leaf, ca] = t.certificate_chain.map((p: string) => new x509.X509Certificate(p)) as [x509.X509Certificate, x509.X509Certificate];
    expect(leaf.subject).to.equal('CN=cloister.test');
    expect(leaf.issuer).to.equal(ca.subject);
    expect(await leaf.verify({ publicKey: ca.publicKey, signatureOnly: true })).to.equal(true);
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value)).to.deep.equal(['cloister.test', 'www.cloister.test']);
    const ext = leaf.getExtension('1.3.6.1.4.1.62397.1.1');
    expect(ext, 'RA-TLS quote extension').to.not.equal(null);
    const der = new Uint8Array(ext!.value);
    const quoteBytes = der.subarray(der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2);
    const spki = new Uint8Array(leaf.publicKey.rawData);
    const expected = createHash('sha512').update('ratls-cert:').update(spki).digest('hex');
    expect(bytesToHex(parseQuote(quoteBytes).body.reportData)).to.equal(expected);
    const plain = await sdk.getTlsKey({ subject: 'plain' });
    expect(new x509.X509Certificate(plain.certificate_chain[0]!).getExtension('1.3.6.1.4.1.62397.1.1')).to.equal(null);
  });

  it('Sign and Verify with every algorithm the SDK offers, under the key at path "vms"', async () => {
    const data = new TextEncoder().encode('sign me');
    const ed = await sdk.sign('ed25519', data);
    expect(ed25519.verify(ed.signature, data, ed.public_key)).to.equal(true);
    expect(ed.signature_chain).to.have.length(3);
    expect((await sdk.verify('ed25519', data, ed.signature, ed.public_key)).valid).to.equal(true);
    const k = await sdk.sign('secp256k1', data);
    expect(secp256k1.verify(k.signature, data, k.public_key)).to.equal(true);
    expect(bytesToHex(k.public_key)).to.equal(bytesToHex(secp256k1.getPublicKey((await sdk.getKey('vms', 'signing')).key, true)));
    const digest = createHash('sha256').update(data).digest();
    const pre = await sdk.sign('secp256k1_prehashed', digest);
    expect(secp256k1.verify(pre.signature, digest, pre.public_key, { prehash: false })).to.equal(true);
    expect((await sdk.verify('secp256k1', new TextEncoder().encode('other'), k.signature, k.public_key)).valid).to.equal(false);
  });

  it('Attest, which the simulator does not implement, is a clear error rather than a malformed answer', async () => {
    let err: unknown;
    try { await sdk.attest('00'); } catch (e) { err = e; }
    expect((err as Error).message).to.match(/no method Attest/);
  });

  it('finding 10: the simulated root\'s name is whole (no value cut at a comma)', async () => {
    const root = new x509.X509Certificate(parseQuote(hexToBytes((await sdk.getQuote('00')).quote)).pckCertChainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!.at(-1)!);
    expect(root.subject).to.equal(SIMULATED_ROOT_NAME);
    expect(root.subjectName.getField('O')).to.deep.equal(['Cloister (simulated - not Intel)']);
  });
});
