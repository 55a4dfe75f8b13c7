// The dstack simulator (ATTESTATION_MODE=simulated): a real unix-socket server speaking the
// guest agent's API, so the production client is what gets exercised. Quotes have the real
// TDX v4 layout and are signed by a generated attestation key whose QE report is signed by a
// PCK-style certificate under a generated "Cloister Simulated TDX Root" — never Intel's. The
// event log carries dstack's boot events; RTMR3 replays; MRCONFIGID = 01 ‖ compose hash.
import 'reflect-metadata';
import http from 'node:http';
import { createHmac, randomBytes, createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as x509 from '@peculiar/x509';
import { p256 } from '@noble/curves/nist.js';
import { buildQuote } from '../tdx/quote-build.ts';
import { buildDstackBootEvents, replayRtmrs } from '../tdx/event-log.ts';
import { bytesToHex, concatBytes, hexToBytes } from '../tdx/bytes.ts';

export const SIMULATED_ROOT_NAME = 'CN=Cloister Simulated TDX Root, O=Cloister (simulated, not Intel)';
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** TD attributes of a production dstack TD: only SEPT_VE_DISABLE (bit 28). */
const SEPT_VE_DISABLE_ONLY = hexToBytes('0000001000000000');
/** 16 bytes spelling "CLOISTER-SIMUL8" plus a zero. */
const SIMULATED_QE_VENDOR_ID = new Uint8Array([...new TextEncoder().encode('CLOISTER-SIMUL8'), 0]);

export interface SimulatorOptions {
  readonly socketPath: string;
  /** file holding the 32-byte seed GetKey derives from (created when missing) */
  readonly seedFile: string;
  /** the exact app-compose text measured into RTMR3 */
  readonly appCompose: string;
}

export interface Simulator {
  readonly socketPath: string;
  close(): Promise<void>;
}

async function loadSeed(file: string): Promise<Buffer> {
  try {
    const hex = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, 'hex');
  } catch {
    // created below
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const seed = randomBytes(32);
  await writeFile(file, seed.toString('hex'), { mode: 0o600 });
  return seed;
}

async function makePki(): Promise<{ chainPem: string; pckKey: CryptoKey }> {
  const gen = () => crypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
  const [rootKeys, caKeys, pckKeys] = await Promise.all([gen(), gen(), gen()]);
  const notBefore = new Date(Date.UTC(2025, 0, 1));
  const notAfter = new Date(Date.UTC(2045, 0, 1));
  const caExt = [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)];
  const root = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: SIMULATED_ROOT_NAME, notBefore, notAfter, signingAlgorithm: EC, keys: rootKeys, extensions: caExt });
  const ca = await x509.X509CertificateGenerator.create({ serialNumber: '02', subject: 'CN=Cloister Simulated PCK Platform CA', issuer: root.subject, notBefore, notAfter, signingAlgorithm: EC, publicKey: caKeys.publicKey, signingKey: rootKeys.privateKey, extensions: caExt });
  const leaf = await x509.X509CertificateGenerator.create({ serialNumber: '03', subject: 'CN=Cloister Simulated PCK Certificate', issuer: ca.subject, notBefore, notAfter, signingAlgorithm: EC, publicKey: pckKeys.publicKey, signingKey: caKeys.privateKey });
  return { chainPem: `${[leaf, ca, root].map((c) => c.toString('pem')).join('\n')}\n`, pckKey: pckKeys.privateKey };
}

/** Starts the simulator on a unix socket; GetKey is deterministic from the seed file. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const seed = await loadSeed(options.seedFile);
  const derive = (label: string) => createHmac('sha256', seed).update(label).digest();
  const pki = await makePki();
  const attestationKey = p256.utils.randomSecretKey();
  const composeHash = createHash('sha256').update(options.appCompose, 'utf8').digest('hex');
  const appId = derive('app-id').subarray(0, 20).toString('hex');
  const instanceId = derive('instance-id').subarray(0, 20).toString('hex');
  const osImageHash = derive('os-image-hash').toString('hex');
  const keyProvider = JSON.stringify({ name: 'simulated', id: derive('key-provider').subarray(0, 16).toString('hex') });
  const events = buildDstackBootEvents({ appId, composeHash, instanceId, osImageHash, keyProvider });
  const replay = replayRtmrs(events);
  const mrTd = createHash('sha384').update('cloister simulated MRTD').digest();
  const mrConfigId = concatBytes(Uint8Array.of(1), hexToBytes(composeHash), new Uint8Array(15));
  const tcbInfo = {
    mrtd: mrTd.toString('hex'),
    rtmr0: bytesToHex(replay.rtmrs[0]), rtmr1: bytesToHex(replay.rtmrs[1]), rtmr2: bytesToHex(replay.rtmrs[2]), rtmr3: bytesToHex(replay.rtmrs[3]),
    mr_aggregated: '', os_image_hash: osImageHash, compose_hash: composeHash, device_id: '', app_compose: options.appCompose, event_log: events,
  };
  const vmConfig = JSON.stringify({ os_image_hash: osImageHash, cpu_count: 2, memory_size: 4294967296, simulated: true });

  const handlers: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    async GetQuote(body) {
      const reportData = hexToBytes(String(body.report_data ?? ''), 'report_data');
      if (reportData.length > 64) throw new Error('report_data longer than 64 bytes');
      const padded = concatBytes(reportData, new Uint8Array(64 - reportData.length));
      const quote = await buildQuote({
        // Not Intel's QE vendor id: nothing about a simulated quote should look like Intel's.
        header: { qeVendorId: SIMULATED_QE_VENDOR_ID },
        body: { mrTd, mrConfigId, tdAttributes: SEPT_VE_DISABLE_ONLY, rtmr0: replay.rtmrs[0], rtmr1: replay.rtmrs[1], rtmr2: replay.rtmrs[2], rtmr3: replay.rtmrs[3], reportData: padded },
        sign: (m) => p256.sign(m, attestationKey),
        attestationPublicKey: p256.getPublicKey(attestationKey, false),
        signQeReport: async (m) => new Uint8Array(await crypto.subtle.sign(EC, pki.pckKey, m as Uint8Array<ArrayBuffer>)),
        certChainPem: pki.chainPem,
      });
      return { quote: bytesToHex(quote), event_log: JSON.stringify(events), report_data: bytesToHex(padded), vm_config: vmConfig };
    },
    async Info() {
      return {
        app_id: appId, instance_id: instanceId, app_name: 'cloister-simulated', device_id: '', compose_hash: composeHash, os_image_hash: osImageHash,
        key_provider_info: keyProvider, app_cert: '', tcb_info: JSON.stringify(tcbInfo), vm_config: vmConfig,
      };
    },
    async GetKey(body) {
      const path = String(body.path ?? '');
      const purpose = String(body.purpose ?? '');
      return { key: derive(`GetKey\u0000${path}\u0000${purpose}`).toString('hex'), signature_chain: [] };
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const name = (req.url ?? '').replace(/^\/+/, '').split('?')[0] ?? '';
      const handler = req.method === 'POST' ? handlers[name] : undefined;
      if (!handler) { res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}'); return; }
      let body: Record<string, unknown>;
      try { body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> : {}; } catch { res.writeHead(400).end('{"error":"bad json"}'); return; }
      handler(body).then(
        (out) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out)),
        (e: unknown) => res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: (e as Error).message })),
      );
    });
  });
  await mkdir(dirname(options.socketPath), { recursive: true, mode: 0o700 });
  await rm(options.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(options.socketPath, () => resolve()); });
  await chmod(options.socketPath, 0o600);
  return {
    socketPath: options.socketPath,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(options.socketPath, { force: true });
    },
  };
}
