// Listening and graceful shutdown: stop accepting, let in-flight requests finish within a
// bound, then close what is left. And what a slow or greedy client may hold: a request's headers
// and its whole body must arrive within their timeouts (a response, however long it streams, is
// never cut), an idle keep-alive connection is closed, a connection answered before its body
// arrived is closed rather than kept reading, and one client IP holds a bounded number of
// connections (trusted proxies excepted: every client behind them shares their address).
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { isTrustedPeer, normaliseIp, trustedProxyList } from './client-ip.ts';

/** What one client may hold of the server (Config['server']['connections']). */
export interface ConnectionLimits {
  /** the request line and headers must arrive within this */
  readonly headersTimeoutMs: number;
  /** the whole request, headers and body, must arrive within this */
  readonly bodyTimeoutMs: number;
  /** an idle keep-alive connection is closed after this */
  readonly keepAliveTimeoutMs: number;
  /** connections open at once from one client IP; 0: no cap */
  readonly maxPerIp: number;
  /** peers exempt from the per-IP cap (TRUSTED_PROXIES) */
  readonly trustedProxies: readonly string[];
}

/** The defaults of the configuration (src/config.ts), for callers without one. */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 20_000, bodyTimeoutMs: 30_000, keepAliveTimeoutMs: 10_000, maxPerIp: 256, trustedProxies: [],
};

/** How long a connection answered before its body arrived may linger (flushing the answer) before it is destroyed. */
const EARLY_ANSWER_LINGER_MS = 2_000;

/** Counts connections per client IP and refuses those over the cap. */
function perIpCap(server: http.Server, limits: ConnectionLimits): void {
  if (limits.maxPerIp <= 0) return;
  const trusted = trustedProxyList(limits.trustedProxies);
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const ip = normaliseIp(socket.remoteAddress ?? '');
    if (isTrustedPeer(trusted, ip)) return;
    const n = (open.get(ip) ?? 0) + 1;
    if (n > limits.maxPerIp) {
      socket.destroy();
      return;
    }
    open.set(ip, n);
    socket.once('close', () => {
      const left = (open.get(ip) ?? 1) - 1;
      if (left === 0) open.delete(ip);
      else open.set(ip, left);
    });
  });
}

/**
 * Answered before the body arrived (a 401, a 404, a 413): the connection is not kept alive to
 * read the rest. The answer is flushed and our side closed; a peer that keeps sending anyway is
 * cut after a short linger (closing at once could reset the connection before the answer is read).
 */
function closeEarlyAnswer(res: http.ServerResponse): void {
  const req = res.req;
  if (req.complete || !res.writableFinished) return;
  const socket = req.socket;
  socket.end();
  setTimeout(() => socket.destroy(), EARLY_ANSWER_LINGER_MS).unref();
}

export interface RunningServer {
  readonly server: http.Server;
  readonly port: number;
  /** stops accepting, waits for in-flight requests up to timeoutMs, then closes the rest */
  shutdown(timeoutMs: number): Promise<void>;
}

/** Starts an HTTP(S) server for a request handler. */
export async function listen(handler: http.RequestListener, options: {
  host: string; port: number; tls?: { certFile: string; keyFile: string } | null; limits?: ConnectionLimits;
}): Promise<RunningServer> {
  const limits = options.limits ?? DEFAULT_CONNECTION_LIMITS;
  let closing = false;
  const active = new Set<http.ServerResponse>();
  // While shutting down, responses close their connection instead of keeping it alive, so
  // the server can finish as soon as the last in-flight request is done.
  // One listener shared by every response, not a closure per request: 'close' comes once, after
  // 'finish' when the response finished, so it also closes a connection answered early.
  function closed(this: http.ServerResponse) {
    active.delete(this);
    closeEarlyAnswer(this);
    if (closing) setImmediate(() => server.closeIdleConnections());
  }
  const tracked: http.RequestListener = (req, res) => {
    active.add(res);
    res.on('close', closed);
    if (closing) res.shouldKeepAlive = false;
    handler(req, res);
  };
  // Node's requestTimeout covers receiving the request only (headers and body), never the
  // response; its timeouts are enforced by a sweep every connectionsCheckingInterval.
  const serverOptions: http.ServerOptions = {
    requestTimeout: limits.bodyTimeoutMs,
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs),
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.bodyTimeoutMs) / 4))),
  };
  const server: http.Server = options.tls
    ? https.createServer({ ...serverOptions, cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, tracked)
    : http.createServer(serverOptions, tracked);
  perIpCap(server, limits);
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
