// A second floor: the leanest Node pass-through we know, for reference beside the bare proxy.
// undici's dispatch() callbacks instead of request()'s stream, and upstream's content-length
// passed on (a short answer goes out in one write, not as chunks) — the plumbing Cloister
// itself uses. No auth, no bookkeeping, no backpressure (the bench's clients read at once). argv[2] is the upstream URL. Prints {"url"} on its first stdout line.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, type Dispatcher } from 'undici';

const upstream = new URL(process.argv[2]!);
const agent = new Agent({ keepAliveTimeout: 30_000 });

/** Relays one upstream answer as it arrives (its content-length passed on, so a short answer is one write). */
class PassThrough implements Dispatcher.DispatchHandler {
  private readonly res: http.ServerResponse;
  constructor(res: http.ServerResponse) {
    this.res = res;
  }

  onRequestStart(): void {}

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    const length = headers['content-length'];
    this.res.writeHead(status, { 'content-type': String(headers['content-type'] ?? 'application/json'), ...(typeof length === 'string' ? { 'content-length': length } : {}) });
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.res.write(chunk);
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(): void {
    if (!this.res.headersSent) this.res.writeHead(502);
    this.res.end();
  }
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    agent.dispatch({
      origin: upstream.origin, path: req.url!, method: req.method as 'POST', headers: { 'content-type': 'application/json' },
      body: chunks.length === 0 ? null : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
    }, new PassThrough(res));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('disconnect', () => { server.closeAllConnections(); server.close(); void agent.close(); });
