// Relays one upstream exchange to the client. Request bytes go up unchanged; response bytes
// come back as they arrive (SSE chunk for chunk, never buffered), hashed as sent. A copy of
// the bytes is parsed only to learn ids and usage; `observe` may record ownership before the
// bytes that reveal an id reach the client.
import { createHash, hash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { finished } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { AppError, describeCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AppContext } from '../http/context.ts';
import { PASSED_BACK_RESPONSE_HEADERS, type UpstreamClient, type UpstreamRequest, type UpstreamResponse } from '../upstream/client.ts';
import { isAbort, translateUpstreamError } from '../upstream/errors.ts';

const MAX_JSON_BODY = 64 * 1024 * 1024;

/** What the relay learned from the upstream answer. */
export interface RelayOutcome {
  readonly status: number;
  readonly responseSha256: string;
  /** bytes of the response body sent to the client */
  readonly responseBytes: number;
  readonly streamed: boolean;
  /** the client got the whole answer (no abort, no upstream failure) */
  readonly completed: boolean;
}

/** Sees parsed copies of what upstream sent, before the bytes carrying them are sent on. */
export interface Observer {
  /** a 2xx JSON body */
  onJson?(body: Record<string, unknown>): Promise<void> | void;
  /** one SSE event's parsed `data` (non-JSON data is skipped) */
  onEvent?(event: string | undefined, data: Record<string, unknown>): Promise<void> | void;
  /**
   * Whether onEvent needs this event, from its raw `data` text. Most events of a long stream
   * are token deltas that carry nothing the observer still wants; they are then not parsed.
   * Absent: every event is parsed.
   */
  wants?(event: string | undefined, data: string): boolean;
  /**
   * Whether a chunk of whole SSE events may hold anything onEvent still needs (checked on the
   * raw bytes). A chunk it declines is relayed without being decoded or parsed at all.
   */
  wantsChunk?(chunk: Buffer): boolean;
  /** last step before the response ends, with the final hash: emit the exchange here */
  onFinish?(outcome: RelayOutcome): Promise<void>;
}

export interface RelayDeps {
  readonly upstream: UpstreamClient;
  readonly heartbeatMs: number;
  readonly logger: Logger;
}

/** Sends `req` upstream and relays the answer on ctx. Resolves when the response is finished or aborted. */
export async function relay(ctx: AppContext, deps: RelayDeps, req: Omit<UpstreamRequest, 'signal' | 'requestId' | 'clientHeaders'>, options: { stream: boolean; observer?: Observer }): Promise<void> {
  const abort = new AbortController();
  const res = ctx.res;
  const onClose = () => { if (!res.writableFinished) abort.abort(); };
  res.once('close', onClose);
  const full: UpstreamRequest = { ...req, requestId: ctx.state.requestId, clientHeaders: ctx.req.headers, signal: abort.signal };
  try {
    if (options.stream) await relayStream(ctx, deps, full, abort, options.observer);
    else await relayJson(ctx, deps, full, options.observer);
  } finally {
    res.off('close', onClose);
  }
}

function passBackHeaders(ctx: AppContext, up: UpstreamResponse): void {
  for (const name in up.headers) {
    const value = up.headers[name];
    if (value === undefined || !PASSED_BACK_RESPONSE_HEADERS.test(name)) continue;
    if (ctx.response.get(name)) continue; // a guard (rate limits) already set its own
    ctx.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
}

/** Reads a whole upstream body (bounded), from 'data' events rather than an async iterator. */
function readAll(up: UpstreamResponse): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    up.body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_JSON_BODY) {
        tooLarge = true;
        up.body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    finished(up.body, (err) => {
      if (tooLarge) reject(new AppError('upstream_error', 'upstream body too large'));
      else if (err) reject(err);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
  });
}

/**
 * Upstream said no: its own OpenAI-shaped 4xx error is passed through (with retry-after etc.);
 * anything else becomes a generic 502.
 */
async function upstreamRefusal(up: UpstreamResponse): Promise<{ status: number; body: Buffer } | AppError> {
  const body = await readAll(up).catch(() => Buffer.alloc(0));
  if (up.status >= 400 && up.status < 500 && isOpenAiError(body)) return { status: up.status, body };
  return new AppError('upstream_error', 'upstream failure');
}

function isOpenAiError(body: Buffer): boolean {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: unknown };
    return typeof parsed.error === 'object' && parsed.error !== null && typeof (parsed.error as { message?: unknown }).message === 'string';
  } catch {
    return false;
  }
}

async function relayJson(ctx: AppContext, deps: RelayDeps, req: UpstreamRequest, observer: Observer | undefined): Promise<void> {
  let up: UpstreamResponse;
  try {
    up = await deps.upstream.send(req);
  } catch (e) {
    if (isAbort(e) || req.signal?.aborted) return; // the client left: nothing to answer, not an error
    throw translateUpstreamError(e);
  }
  passBackHeaders(ctx, up);
  if (up.status < 200 || up.status >= 300) {
    const refusal = await upstreamRefusal(up);
    if (refusal instanceof AppError) throw refusal;
    ctx.status = refusal.status;
    ctx.type = 'application/json';
    ctx.body = refusal.body;
    return;
  }
  let body: Buffer;
  try {
    body = await readAll(up);
  } catch (e) {
    if (isAbort(e) || req.signal?.aborted) return;
    throw translateUpstreamError(e);
  }
  const contentType = String(up.headers['content-type'] ?? 'application/json');
  if (observer?.onJson && /json/.test(contentType)) {
    const parsed = parseObject(body.toString('utf8'));
    if (parsed) await observer.onJson(parsed);
  }
  const outcome: RelayOutcome = { status: up.status, responseSha256: sha256(body), responseBytes: body.length, streamed: false, completed: true };
  await observer?.onFinish?.(outcome);
  ctx.status = up.status;
  // Upstream's own content-type, as sent (Koa's `type` setter would look it up as a MIME type
  // on every response and append a charset upstream did not send).
  ctx.set('content-type', contentType);
  ctx.body = body;
}

/** SSE relay state: the hash of everything sent and whether we sit at an event boundary. */
class SseWriter {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  private tail = '\n\n';
  lastWrite = Date.now();
  private readonly res: ServerResponse;
  constructor(res: ServerResponse) {
    this.res = res;
  }

  /** At an event boundary a comment can be inserted without breaking the stream's framing. */
  get atBoundary(): boolean {
    return endsEvent(this.tail);
  }

  /** Sends bytes; returns a promise only when the client is not keeping up (wait for it). */
  write(bytes: Buffer): Promise<unknown> | undefined {
    if (this.res.destroyed || this.res.writableEnded) return undefined;
    this.hash.update(bytes);
    this.bytes += bytes.length;
    this.tail = (this.tail + lastFour(bytes)).slice(-4);
    this.lastWrite = Date.now();
    if (this.res.write(bytes)) return undefined;
    return Promise.race([once(this.res, 'drain'), once(this.res, 'close')]);
  }
}

/** Whether SSE text ends with a blank line, i.e. at an event boundary. */
function endsEvent(tail: string): boolean {
  return tail.endsWith('\n\n') || tail.endsWith('\r\n\r\n');
}

/** The last (up to) four bytes: enough to tell whether bytes end an SSE event. */
function lastFour(bytes: Buffer): string {
  return bytes.subarray(Math.max(0, bytes.length - 4)).toString('latin1');
}

/** Whether a chunk ends at an event boundary. */
function chunkEndsEvent(chunk: Buffer): boolean {
  return endsEvent(lastFour(chunk));
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

async function relayStream(ctx: AppContext, deps: RelayDeps, req: UpstreamRequest, abort: AbortController, observer: Observer | undefined): Promise<void> {
  const res = ctx.res;
  const writer = new SseWriter(res);
  let committed = false;
  const commit = (status: number) => {
    if (committed) return;
    committed = true;
    ctx.respond = false; // we own the response from here; errors become SSE error events
    ctx.status = status;
    for (const [k, v] of Object.entries(SSE_HEADERS)) ctx.set(k, v);
    res.writeHead(status);
    res.flushHeaders();
  };
  // While upstream is silent (thinking before its first byte, or between chunks), a comment
  // keeps proxies and load balancers from cutting the connection.
  const ping = Buffer.from(': ping\n\n');
  const heartbeat = setInterval(() => {
    if (Date.now() - writer.lastWrite < deps.heartbeatMs || !writer.atBoundary) return;
    commit(200);
    void writer.write(ping);
  }, Math.max(5, Math.min(deps.heartbeatMs, 1000)));
  let completed = false;
  let status = 200;
  try {
    let up: UpstreamResponse;
    try {
      up = await deps.upstream.send(req);
    } catch (e) {
      if (isAbort(e)) return;
      throw translateUpstreamError(e);
    }
    status = up.status;
    if (!committed) passBackHeaders(ctx, up);
    if (up.status < 200 || up.status >= 300) {
      const refusal = await upstreamRefusal(up);
      if (!committed) {
        if (refusal instanceof AppError) throw refusal;
        ctx.status = refusal.status;
        ctx.type = 'application/json';
        ctx.body = refusal.body;
        return;
      }
      const body = refusal instanceof AppError ? JSON.stringify(refusal.toBody()) : refusal.body.toString('utf8');
      await writer.write(Buffer.from(`event: error\ndata: ${body.replace(/\n/g, '')}\n\n`));
      return;
    }
    if (!/text\/event-stream/.test(String(up.headers['content-type'] ?? ''))) {
      // Upstream answered a stream request with plain JSON: pass it on as it is.
      const body = await readAll(up);
      const parsed = parseObject(body.toString('utf8'));
      if (parsed) await observer?.onJson?.(parsed);
      if (!committed) {
        await observer?.onFinish?.({ status: up.status, responseSha256: sha256(body), responseBytes: body.length, streamed: false, completed: true });
        ctx.status = up.status;
        ctx.type = String(up.headers['content-type'] ?? 'application/json');
        ctx.body = body;
        return;
      }
      await writer.write(body);
      completed = true;
      return;
    }
    commit(up.status);
    const pending: Array<{ event: string | undefined; data: Record<string, unknown> }> = [];
    const onEvent = observer?.onEvent?.bind(observer);
    const wants = observer?.wants?.bind(observer);
    const wantsChunk = onEvent ? observer?.wantsChunk?.bind(observer) : undefined;
    const parser = createParser({
      onEvent: (m: EventSourceMessage) => {
        if (!onEvent || m.data === '[DONE]' || (wants && !wants(m.event, m.data))) return;
        const data = parseObject(m.data);
        if (data) pending.push({ event: m.event, data });
      },
    });
    const decoder = new TextDecoder();
    try {
      // Per chunk, nothing waits that does not have to: an observer's work and the write each
      // return a promise only when there is something to wait for (an id to record, backpressure).
      for await (const chunk of up.body) {
        // A chunk of whole events (the stream so far ends at a boundary, and so does the chunk)
        // that the observer declines skips decoding and parsing: the parser holds nothing
        // between events and the decoder no partial character, so both stay in step.
        const skip = wantsChunk !== undefined && writer.atBoundary && chunkEndsEvent(chunk as Buffer) && !wantsChunk(chunk as Buffer);
        if (!skip) parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
        for (let i = 0; i < pending.length; i++) {
          const e = pending[i]!;
          const observed = onEvent!(e.event, e.data);
          if (observed) await observed;
        }
        pending.length = 0;
        const written = writer.write(chunk as Buffer);
        if (written) await written;
      }
      completed = !abort.signal.aborted;
    } catch (e) {
      if (abort.signal.aborted || isAbort(e)) return;
      const err = translateUpstreamError(e);
      deps.logger.warn({ event: 'proxy.stream_failed', request_id: ctx.state.requestId, error_code: err.code, err: { type: (e as Error).name, code: (e as { code?: string }).code } });
      await writer.write(Buffer.from(`${writer.atBoundary ? '' : '\n\n'}event: error\ndata: ${JSON.stringify(errorBody(err))}\n\n`));
    }
  } catch (e) {
    if (!committed) throw e;
    const err = e instanceof AppError ? e : translateUpstreamError(e);
    await writer.write(Buffer.from(`event: error\ndata: ${JSON.stringify(errorBody(err))}\n\n`));
  } finally {
    clearInterval(heartbeat);
    if (committed) {
      const outcome: RelayOutcome = { status, responseSha256: writer.hash.digest('hex'), responseBytes: writer.bytes, streamed: true, completed };
      try {
        if (status >= 200 && status < 300) await observer?.onFinish?.(outcome);
      } finally {
        if (!res.writableEnded) res.end();
      }
    }
  }
}

function errorBody(err: AppError): { error: { message: string; type: string; param: null; code: string } } {
  const { type } = describeCode(err.code);
  return { error: { message: err.toBody().error.message, type, param: null, code: err.code } };
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** sha256 hex of bytes (one-shot: no Hash object for a body already in memory). */
export function sha256(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}
