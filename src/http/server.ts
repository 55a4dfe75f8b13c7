// Listening and graceful shutdown: stop accepting, let in-flight requests finish within a
// bound, then close what is left.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly server: http.Server;
  readonly port: number;
  /** stops accepting, waits for in-flight requests up to timeoutMs, then closes the rest */
  shutdown(timeoutMs: number): Promise<void>;
}

/** Starts an HTTP(S) server for a request handler. */
export async function listen(handler: http.RequestListener, options: { host: string; port: number; tls?: { certFile: string; keyFile: string } | null }): Promise<RunningServer> {
  let closing = false;
  const active = new Set<http.ServerResponse>();
  // While shutting down, responses close their connection instead of keeping it alive, so
  // the server can finish as soon as the last in-flight request is done.
  // One listener shared by every response ('close' is emitted once), not a closure per request.
  function untrack(this: http.ServerResponse) {
    active.delete(this);
    if (closing) setImmediate(() => server.closeIdleConnections());
  }
  const tracked: http.RequestListener = (req, res) => {
    active.add(res);
    res.on('close', untrack);
    if (closing) res.shouldKeepAlive = false;
    handler(req, res);
  };
  const server: http.Server = options.tls
    ? https.createServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, tracked)
    : http.createServer(tracked);
  // Long reasoning streams: Node's default request timeout (5 min) must not cut them.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    shutdown(timeoutMs) {
      closing = true;
      for (const res of active) if (!res.headersSent) res.shouldKeepAlive = false;
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), timeoutMs);
        force.unref();
        server.close(() => { clearTimeout(force); resolve(); });
        server.closeIdleConnections();
      });
    },
  };
}
