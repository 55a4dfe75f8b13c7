// A second, minimal dstack guest agent on a unix socket (besides Cloister's simulator), serving
// a real captured quote and Info, so the adapter is tested against a server it did not build.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';

export interface FakeDstack {
  readonly socketPath: string;
  readonly calls: Array<{ method: string; body: Record<string, unknown> }>;
  readonly fixture: { get_quote: { quote: string; event_log: string }; info: Record<string, unknown> };
  close(): Promise<void>;
}

const FIXTURE = new URL('../../../shared/fixtures/attestation/nearai-dstack-sample.json', import.meta.url);

/** Starts the fake on `socketPath`. GetQuote answers the captured quote whatever report_data says. */
export async function startFakeDstack(socketPath: string): Promise<FakeDstack> {
  const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as FakeDstack['fixture'];
  const calls: FakeDstack['calls'] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const method = (req.url ?? '').slice(1);
      calls.push({ method, body: raw ? JSON.parse(raw) as Record<string, unknown> : {} });
      const send = (v: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      if (method === 'GetQuote') return send({ quote: fixture.get_quote.quote, event_log: fixture.get_quote.event_log });
      if (method === 'Info') return send({ ...fixture.info, tcb_info: JSON.stringify(fixture.info.tcb_info) });
      if (method === 'GetKey') return send({ key: '42'.repeat(32), signature_chain: [] });
      res.writeHead(404).end();
    });
  });
  await rm(socketPath, { force: true });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath, calls, fixture,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
