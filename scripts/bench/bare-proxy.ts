// The floor: a bare undici pass-through with no auth or bookkeeping, in its own process (as
// Cloister is) so both proxies run under the same conditions. argv[2] is the upstream URL.
// Prints {"url"} on its first stdout line.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

const upstream = process.argv[2]!;
const agent = new Agent({ keepAliveTimeout: 30_000 });
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const up = await request(upstream + req.url, { method: req.method as 'POST', headers: { 'content-type': 'application/json' }, body: chunks.length ? Buffer.concat(chunks) : undefined, dispatcher: agent });
      res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? '') });
      for await (const c of up.body) res.write(c);
      res.end();
    } catch {
      res.writeHead(502).end();
    }
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('disconnect', () => { server.closeAllConnections(); server.close(); void agent.close(); });
