// The dstack simulator (ATTESTATION_MODE=simulated): a unix-socket HTTP server speaking the
// guest agent's API (what it answers: simulator-guest.ts), so the production client — and the
// official @phala/dstack-sdk, in the tests — is what gets exercised. Answers are byte-compatible
// with the real agent's: one JSON body with Content-Length (never chunked: the SDK's socket
// client reads exactly Content-Length bytes), 200 on success, 400 {"error"} for a bad request,
// 404 for an unknown method. Quotes chain to a generated "Cloister Simulated TDX Root" — never
// Intel's. Not simulated: Attest (a SCALE-encoded versioned attestation) answers 404.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSimulatedGuest, GuestRequestError, type SimulatedGuest } from './simulator-guest.ts';
import { makeSimulatorPki } from './simulator-pki.ts';

export { SIMULATED_ROOT_NAME } from './simulator-pki.ts';

export interface SimulatorOptions {
  readonly socketPath: string;
  /** file holding the 32-byte seed identity and GetKey derive from (created when missing) */
  readonly seedFile: string;
  /** the exact app-compose text measured into RTMR3 */
  readonly appCompose: string;
}

export interface Simulator {
  readonly socketPath: string;
  close(): Promise<void>;
}

const MAX_BODY = 2 * 1024 * 1024 + 4096;

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

function methods(guest: SimulatedGuest): Record<string, (body: Record<string, unknown>) => unknown> {
  return {
    GetQuote: (b) => guest.getQuote(b),
    Info: () => guest.info(),
    GetKey: (b) => guest.getKey(b),
    GetTlsKey: (b) => guest.getTlsKey(b),
    EmitEvent: (b) => guest.emitEvent(b),
    Sign: (b) => guest.sign(b),
    Verify: (b) => guest.verify(b),
    Version: () => guest.version(),
  };
}

function send(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

/** Starts the simulator on a unix socket. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const seed = await loadSeed(options.seedFile);
  const guest = await createSimulatedGuest(seed, options.appCompose, await makeSimulatorPki());
  const handlers = methods(guest);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(res, 413, { error: 'request body too large' });
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      // The real agent serves each method at /<Method> (and the prpc path); GET and POST alike.
      const name = (req.url ?? '').split('?')[0]!.replace(/^\/+(prpc\/)?(DstackGuest\.)?/, '');
      const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
      if (!handler || (req.method !== 'POST' && req.method !== 'GET')) return send(res, 404, { error: `no method ${name}` });
      let body: unknown = {};
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() !== '') {
        try { body = JSON.parse(text); } catch { return send(res, 400, { error: 'request body is not JSON' }); }
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(res, 400, { error: 'request body must be a JSON object' });
      Promise.resolve().then(() => handler(body as Record<string, unknown>)).then(
        (out) => send(res, 200, out),
        (e: unknown) => send(res, e instanceof GuestRequestError ? 400 : 500, { error: e instanceof GuestRequestError ? e.message : 'internal error' }),
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
