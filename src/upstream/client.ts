// The one client to the model API (used by the proxy and by attestation): connection reuse,
// the server's own key injected, an allow-list of forwarded headers, and the three timeouts
// (connect, first byte, idle between chunks).
import { Agent, request, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { translateUpstreamError } from './errors.ts';

/** Request headers a client may send upstream; cookies, authorization and x-forwarded-* never go. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'openai-beta', 'idempotency-key'] as const;
/** Upstream response headers passed back to the client. */
export const PASSED_BACK_RESPONSE_HEADERS = /^(x-ratelimit-[a-z-]+|retry-after|retry-after-ms|openai-processing-ms|openai-version)$/;

export interface UpstreamRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** path below OPENAI_BASE_URL, starting with '/' and already built from validated segments */
  readonly path: string;
  /** raw query string without '?' */
  readonly query?: string;
  /** the client's request headers; only the allow-list is forwarded */
  readonly clientHeaders: Readonly<Record<string, string | string[] | undefined>>;
  readonly body?: Buffer;
  readonly requestId: string;
  readonly signal?: AbortSignal;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Readable & { dump(): Promise<void>; text(): Promise<string> };
}

export interface UpstreamClient {
  /** false when OPENAI_BASE_URL is unset: every call answers 503 upstream_not_configured */
  readonly configured: boolean;
  send(req: UpstreamRequest): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

/** Builds the upstream client from the upstream config section. */
export function createUpstreamClient(upstream: Config['upstream']): UpstreamClient {
  const base = upstream.baseUrl;
  const dispatcher: Dispatcher = new Agent({
    connect: { timeout: upstream.connectTimeoutMs },
    headersTimeout: upstream.firstByteTimeoutMs,
    bodyTimeout: upstream.idleTimeoutMs,
    keepAliveTimeout: 30_000,
    // No cap: each open stream holds a connection, and a cap would queue streams behind
    // long-running ones (1,000 concurrent streams need 1,000 connections).
  });
  return {
    configured: base !== null,
    async send(req) {
      if (base === null) throw new AppError('upstream_not_configured', 'upstream not configured');
      const headers: Record<string, string> = { 'x-request-id': req.requestId, 'user-agent': 'cloister', 'accept-encoding': 'identity' };
      for (const name of FORWARDED_REQUEST_HEADERS) {
        const v = req.clientHeaders[name];
        if (typeof v === 'string' && v.length <= 1024) headers[name] = v;
      }
      if (upstream.apiKey) headers.authorization = `Bearer ${upstream.apiKey}`;
      const url = `${base}${req.path}${req.query ? `?${req.query}` : ''}`;
      try {
        const res = await request(url, {
          method: req.method,
          headers,
          body: req.body,
          signal: req.signal,
          dispatcher,
        });
        return { status: res.statusCode, headers: res.headers, body: res.body };
      } catch (e) {
        throw translateUpstreamError(e);
      }
    },
    close: () => dispatcher.close(),
  };
}
