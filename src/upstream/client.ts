// The one client to the model API (used by the proxy and by attestation): connection reuse,
// the server's own key injected, an allow-list of forwarded headers, and the three timeouts
// (connect, first byte, idle between chunks).
//
// Answers arrive on callbacks (undici's dispatch handler), not as a Readable: the relay writes
// each chunk on as it comes and pauses upstream when the client is slow, and a JSON answer is
// gathered straight into a buffer. undici's `request()` would wrap every answer in a stream,
// an abort-signal listener and a promise — a third of a bare pass-through's CPU per request.
import { Agent, type Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { translateUpstreamError } from './errors.ts';

/**
 * Request headers a client may send upstream; cookies, authorization and x-forwarded-* never go.
 * Idempotency-Key goes only namespaced per user (UpstreamRequest.idempotencyKey).
 */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'openai-beta'] as const;
/**
 * Upstream response headers passed back to the client. Never upstream's x-ratelimit-*: they
 * describe the one key every user shares, so they would tell each user about the others'
 * traffic; Cloister sends its own, per user (src/limits/headers.ts).
 */
const PASSED_BACK = new Set(['retry-after', 'retry-after-ms', 'openai-processing-ms', 'openai-version']);

/** Whether an upstream response header (lower-case, as undici gives them) goes back to the client. */
export function passedBack(name: string): boolean {
  return PASSED_BACK.has(name);
}
/** The most an answer gathered whole (JSON, errors) may hold. */
export const MAX_GATHERED_BYTES = 64 * 1024 * 1024;

export type UpstreamHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface UpstreamRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** path below OPENAI_BASE_URL, starting with '/' and already built from validated segments */
  readonly path: string;
  /** raw query string without '?' */
  readonly query?: string;
  /** the client's request headers; only the allow-list is forwarded */
  readonly clientHeaders: UpstreamHeaders;
  readonly body?: Buffer;
  readonly requestId: string;
  /** the Idempotency-Key to send, already namespaced per user (src/proxy/idempotency-key.ts) */
  readonly idempotencyKey?: string;
}

/** Where one upstream answer goes. After `abort()` the sink hears nothing more. */
export interface UpstreamSink {
  /** status and headers (informational 1xx answers are skipped) */
  onStart(status: number, headers: UpstreamHeaders): void;
  /** a chunk of the body as it arrived; call `pause()` to stop the flow until `resume()` */
  onData(chunk: Buffer): void;
  onEnd(): void;
  /** the exchange failed: connect/first-byte/idle timeout (504) or a broken connection (502) */
  onError(err: AppError): void;
}

/** Control over one exchange in flight. */
export interface UpstreamCall {
  /** stops the exchange and closes its connection; the sink hears nothing more */
  abort(): void;
  pause(): void;
  resume(): void;
}

/** A whole answer (see `fetch`). */
export interface UpstreamAnswer {
  readonly status: number;
  readonly headers: UpstreamHeaders;
  readonly body: Buffer;
}

export interface UpstreamClient {
  /** false when OPENAI_BASE_URL is unset: every call answers 503 upstream_not_configured */
  readonly configured: boolean;
  /** Sends a request; the answer goes to `sink`. Throws upstream_not_configured when unset. */
  open(req: UpstreamRequest, sink: UpstreamSink): UpstreamCall;
  /** Sends a request and gathers the whole answer (at most MAX_GATHERED_BYTES); `signal` aborts it. */
  fetch(req: UpstreamRequest, options?: { signal?: AbortSignal }): Promise<UpstreamAnswer>;
  close(): Promise<void>;
}

/** Why we aborted: never reported to the sink. */
const OUR_ABORT = new Error('aborted by Cloister');

/** One exchange: undici's dispatch handler on one side, our sink and controls on the other. */
class Exchange implements Dispatcher.DispatchHandler, UpstreamCall {
  private controller: Dispatcher.DispatchController | null = null;
  private aborted = false;
  private paused = false;
  private readonly sink: UpstreamSink;
  constructor(sink: UpstreamSink) {
    this.sink = sink;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.controller?.abort(OUR_ABORT);
  }

  pause(): void {
    this.paused = true;
    this.controller?.pause();
  }

  resume(): void {
    this.paused = false;
    this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.aborted) controller.abort(OUR_ABORT);
    else if (this.paused) controller.pause();
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    if (status < 200 || this.aborted) return;
    this.sink.onStart(status, headers);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.aborted) this.sink.onData(chunk);
  }

  onResponseEnd(): void {
    if (!this.aborted) this.sink.onEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.aborted || error === OUR_ABORT) return;
    this.aborted = true; // nothing more can arrive
    this.sink.onError(translateUpstreamError(error));
  }
}

/** Builds the upstream client from the upstream config section. */
export function createUpstreamClient(upstream: Config['upstream']): UpstreamClient {
  const base = upstream.baseUrl === null ? null : new URL(upstream.baseUrl);
  const origin = base?.origin ?? '';
  const basePath = base ? base.pathname.replace(/\/+$/, '') : '';
  const authorization = upstream.apiKey ? `Bearer ${upstream.apiKey}` : null;
  const dispatcher = new Agent({
    connect: { timeout: upstream.connectTimeoutMs },
    headersTimeout: upstream.firstByteTimeoutMs,
    bodyTimeout: upstream.idleTimeoutMs,
    keepAliveTimeout: 30_000,
    // No cap: each open stream holds a connection, and a cap would queue streams behind
    // long-running ones (1,000 concurrent streams need 1,000 connections).
  });

  function open(req: UpstreamRequest, sink: UpstreamSink): UpstreamCall {
    if (base === null) throw new AppError('upstream_not_configured', 'upstream not configured');
    const headers: Record<string, string> = { 'x-request-id': req.requestId, 'user-agent': 'cloister', 'accept-encoding': 'identity' };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const v = req.clientHeaders[name];
      if (typeof v === 'string' && v.length <= 1024) headers[name] = v;
    }
    if (req.idempotencyKey !== undefined) headers['idempotency-key'] = req.idempotencyKey;
    if (authorization) headers.authorization = authorization;
    const exchange = new Exchange(sink);
    try {
      dispatcher.dispatch({
        origin,
        path: `${basePath}${req.path}${req.query ? `?${req.query}` : ''}`,
        method: req.method,
        headers,
        body: req.body ?? null,
      }, exchange);
    } catch (e) {
      // Arguments undici refuses (it reports most failures through the handler instead).
      throw translateUpstreamError(e);
    }
    return exchange;
  }

  return {
    configured: base !== null,
    open,
    async fetch(req, options = {}) {
      const { signal } = options;
      signal?.throwIfAborted();
      const { answer, call } = gatherAnswer((sink) => open(req, sink));
      const onAbort = () => call.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const whole = await answer;
        if (whole === null) throw signal!.reason;
        return whole;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
    close: () => dispatcher.close(),
  };
}

const NO_HEADERS: UpstreamHeaders = Object.freeze({});

/**
 * One answer being gathered whole: the sink the exchange writes to and the call its caller
 * aborts, in one object (a class: a request allocates it and its promise, not a closure per
 * callback).
 */
class Gathering implements UpstreamSink, UpstreamCall {
  readonly answer: Promise<UpstreamAnswer | null>;
  inner: UpstreamCall | null = null;
  private settle!: (a: UpstreamAnswer | null) => void;
  private reject!: (e: unknown) => void;
  private status = 0;
  private headers: UpstreamHeaders = NO_HEADERS;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor() {
    this.answer = new Promise<UpstreamAnswer | null>((resolve, reject) => { this.settle = resolve; this.reject = reject; });
  }

  abort(): void { this.inner?.abort(); this.settle(null); }
  pause(): void { this.inner?.pause(); }
  resume(): void { this.inner?.resume(); }

  onStart(status: number, headers: UpstreamHeaders): void {
    this.status = status;
    this.headers = headers;
  }

  onData(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > MAX_GATHERED_BYTES) {
      this.inner?.abort();
      this.reject(new AppError('upstream_error', 'upstream body too large'));
      return;
    }
    this.chunks.push(chunk);
  }

  onEnd(): void {
    const { chunks } = this;
    this.settle({ status: this.status, headers: this.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.size) });
  }

  onError(err: unknown): void {
    this.reject(err);
  }
}

/**
 * Gathers a whole answer (at most MAX_GATHERED_BYTES) from the exchange `start` opens. Aborting
 * the returned call settles the answer with null; a failure rejects it with the AppError.
 */
export function gatherAnswer(start: (sink: UpstreamSink) => UpstreamCall): { answer: Promise<UpstreamAnswer | null>; call: UpstreamCall } {
  const gathering = new Gathering();
  try {
    gathering.inner = start(gathering);
  } catch (e) {
    gathering.onError(e);
  }
  return { answer: gathering.answer, call: gathering };
}
