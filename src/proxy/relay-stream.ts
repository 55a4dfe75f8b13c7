// The SSE relay: each upstream chunk is written on as it arrives and hashed as sent; upstream
// is paused while the client is not keeping up, or while the observer records an id before
// the bytes that reveal it go out. While upstream is silent a `: ping` comment keeps load
// balancers from cutting the connection. Once bytes have gone out, a failure becomes one final
// SSE `error` event. The client leaving aborts upstream.
import { createHash, type Hash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { AppError, describeCode } from '../errors.ts';
import type { RequestIo } from '../http/exchange.ts';
import { MAX_GATHERED_BYTES, type UpstreamCall, type UpstreamHeaders, type UpstreamRequest, type UpstreamSink } from '../upstream/client.ts';
import type { Observer, RelayDeps, RelayOutcome } from './relay-types.ts';
import { contentTypeOf, isJsonType, parseObject, passBackHeaders, respondRefusal, sha256, upstreamRefusal } from './answer.ts';

const SSE_HEADERS: ReadonlyArray<readonly [string, string]> = [['content-type', 'text/event-stream; charset=utf-8'], ['cache-control', 'no-cache'], ['x-accel-buffering', 'no']];
const PING = Buffer.from(': ping\n\n');

/** Whether SSE text ends with a blank line, i.e. at an event boundary. */
function endsEvent(tail: string): boolean {
  return tail.endsWith('\n\n') || tail.endsWith('\r\n\r\n');
}

/** The last (up to) four bytes: enough to tell whether bytes end an SSE event. */
function lastFour(bytes: Buffer): string {
  return bytes.subarray(Math.max(0, bytes.length - 4)).toString('latin1');
}

/** SSE relay state: the hash of everything sent (when wanted) and whether we sit at an event boundary. */
class SseWriter {
  readonly hash: Hash | null;
  bytes = 0;
  private tail = '\n\n';
  /** bytes went out since the heartbeat last looked */
  wrote = false;
  private readonly res: ServerResponse;
  constructor(res: ServerResponse, hashing: boolean) {
    this.res = res;
    this.hash = hashing ? createHash('sha256') : null;
  }

  /** At an event boundary a comment can be inserted without breaking the stream's framing. */
  get atBoundary(): boolean {
    return endsEvent(this.tail);
  }

  /** Sends bytes; returns a promise only when the client is not keeping up (wait for it). */
  write(bytes: Buffer): Promise<unknown> | undefined {
    if (this.res.destroyed || this.res.writableEnded) return undefined;
    this.hash?.update(bytes);
    this.bytes += bytes.length;
    this.tail = (this.tail + lastFour(bytes)).slice(-4);
    this.wrote = true;
    if (this.res.write(bytes)) return undefined;
    return drained(this.res);
  }
}

/** Resolves when `res` drains or closes, leaving no listener behind (a slow client waits many times). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function errorEvent(err: AppError, atBoundary: boolean): Buffer {
  const { type } = describeCode(err.code);
  const body = { error: { message: err.toBody().error.message, type, param: null, code: err.code } };
  return Buffer.from(`${atBoundary ? '' : '\n\n'}event: error\ndata: ${JSON.stringify(body)}\n\n`);
}

/** One step of the relay, taken in arrival order. */
type Step = { readonly data: Buffer } | { readonly end: true } | { readonly error: AppError } | { readonly clientLeft: true };

/** Relays an exchange whose client asked for a stream. Resolves when the response is finished. */
export function relayStream(io: RequestIo, deps: RelayDeps, req: UpstreamRequest, observer: Observer | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const relay = new StreamRelay(io, deps, observer, resolve, reject);
    relay.start(req);
  });
}

class StreamRelay implements UpstreamSink {
  private readonly io: RequestIo;
  private readonly deps: RelayDeps;
  private readonly observer: Observer | undefined;
  private readonly resolve: () => void;
  private readonly reject: (e: unknown) => void;
  private readonly res: ServerResponse;
  private readonly writer: SseWriter;
  private call: UpstreamCall | null = null;
  private heartbeat: (() => void) | null = null;
  /** the status line and headers went out: failures are SSE events from here on */
  private committed = false;
  private status = 200;
  /** 'sse': relaying events; 'gather': a refusal or a non-SSE answer, taken whole */
  private mode: 'waiting' | 'sse' | 'gather' = 'waiting';
  private contentType = '';
  private gathered: Buffer[] = [];
  private gatheredBytes = 0;
  private parser: EventSourceParser | null = null;
  private decoder: TextDecoder | null = null;
  private readonly pending: Array<{ event: string | undefined; data: Record<string, unknown> }> = [];
  /** a step is waiting (observer, client backpressure): later steps are held in order */
  private busy = false;
  private readonly held: Step[] = [];
  private finished = false;
  private readonly onClose = () => {
    if (this.res.writableFinished) return;
    this.call?.abort();
    this.push({ clientLeft: true });
  };

  constructor(io: RequestIo, deps: RelayDeps, observer: Observer | undefined, resolve: () => void, reject: (e: unknown) => void) {
    this.io = io;
    this.deps = deps;
    this.observer = observer;
    this.resolve = resolve;
    this.reject = reject;
    this.res = io.res;
    this.writer = new SseWriter(io.res, observer?.hashResponse === true);
  }

  start(req: UpstreamRequest): void {
    try {
      this.call = this.deps.upstream.open(req, this);
    } catch (e) {
      this.reject(e);
      return;
    }
    if (this.finished) return; // failed at once
    this.res.once('close', this.onClose);
    const { heartbeatMs } = this.deps;
    // While upstream is silent (thinking before its first byte, or between chunks), a comment
    // keeps proxies and load balancers from cutting the connection. The clock ticks at most a
    // second apart and counts the silence; a write starts the count again.
    const tick = Math.max(5, Math.min(heartbeatMs, 1000));
    let silentMs = 0;
    this.heartbeat = this.deps.clock.every(tick, () => {
      if (this.writer.wrote) {
        this.writer.wrote = false;
        silentMs = 0;
        return;
      }
      silentMs += tick;
      if (this.busy || this.mode === 'gather' || silentMs < heartbeatMs || !this.writer.atBoundary) return;
      silentMs = 0;
      this.commit(200);
      void this.writer.write(PING);
      this.writer.wrote = false;
    });
  }

  private commit(status: number): void {
    if (this.committed) return;
    this.committed = true;
    // We own the response from here; errors become SSE error events.
    for (const [k, v] of SSE_HEADERS) this.io.set(k, v);
    this.io.takeOver(status);
  }

  // --- the upstream sink: every callback becomes a step, taken in order ---
  onStart(status: number, headers: UpstreamHeaders): void {
    this.status = status;
    if (!this.committed) passBackHeaders(this.io, headers);
    this.contentType = contentTypeOf(headers, '');
    if (status >= 200 && status < 300 && this.contentType.includes('text/event-stream')) {
      this.mode = 'sse';
      this.commit(status);
    } else {
      // A refusal, or a JSON answer to a stream request: taken whole, then passed on as it is.
      this.mode = 'gather';
    }
  }

  onData(chunk: Buffer): void {
    this.push({ data: chunk });
  }

  onEnd(): void {
    this.push({ end: true });
  }

  onError(err: AppError): void {
    this.push({ error: err });
  }

  private push(step: Step): void {
    if (this.finished) return;
    if (this.busy) {
      this.held.push(step);
      return;
    }
    this.run(step);
  }

  /** Takes steps until one has to wait; then pauses upstream until it is done. */
  private run(first: Step): void {
    let step: Step | undefined = first;
    while (step !== undefined && !this.finished) {
      let waiting: Promise<unknown> | undefined;
      try {
        waiting = this.take(step);
      } catch (e) {
        this.fail(e);
        return;
      }
      if (waiting) {
        this.busy = true;
        if (!this.finished) this.call?.pause();
        waiting.then(() => {
          this.busy = false;
          if (!this.finished) this.call?.resume();
          const next = this.held.shift();
          if (next) this.run(next);
        }, (e: unknown) => this.fail(e));
        return;
      }
      step = this.held.shift();
    }
  }

  /** One step; a promise when the next must wait for it. */
  private take(step: Step): Promise<unknown> | undefined {
    if ('data' in step) return this.mode === 'gather' ? this.gather(step.data) : this.relayChunk(step.data);
    if ('end' in step) {
      if (this.mode === 'gather') return this.endGathered();
      // Upstream ended inside an event: the stream was cut, not finished.
      if (!this.writer.atBoundary && this.writer.bytes > 0) return this.upstreamFailed(new AppError('upstream_error', 'upstream ended its stream inside an event'));
      return this.finish(!this.res.destroyed);
    }
    if ('error' in step) return this.upstreamFailed(step.error);
    this.held.length = 0;
    return this.finish(false);
  }

  private relayChunk(chunk: Buffer): Promise<unknown> | undefined {
    const onEvent = this.observer?.onEvent;
    if (onEvent) {
      // A chunk of whole events (the stream so far ends at a boundary, and so does the chunk)
      // that the observer declines skips decoding and parsing: the parser holds nothing
      // between events and the decoder no partial character, so both stay in step.
      const wantsChunk = this.observer!.wantsChunk;
      const skip = wantsChunk !== undefined && this.writer.atBoundary && endsEvent(lastFour(chunk)) && !wantsChunk.call(this.observer, chunk);
      if (!skip) this.parse(chunk);
      let observed: Promise<unknown> | undefined;
      for (const e of this.pending) {
        const r = onEvent.call(this.observer, e.event, e.data);
        if (r) observed = observed ? observed.then(() => r) : r;
      }
      this.pending.length = 0;
      if (observed) return observed.then(() => this.writer.write(chunk));
    }
    return this.writer.write(chunk);
  }

  private parse(chunk: Buffer): void {
    if (this.parser === null) {
      const wants = this.observer!.wants;
      this.parser = createParser({
        onEvent: (m: EventSourceMessage) => {
          if (m.data === '[DONE]' || (wants && !wants.call(this.observer, m.event, m.data))) return;
          const data = parseObject(m.data);
          if (data) this.pending.push({ event: m.event, data });
        },
      });
      this.decoder = new TextDecoder();
    }
    this.parser.feed(this.decoder!.decode(chunk, { stream: true }));
  }

  private gather(chunk: Buffer): undefined {
    this.gatheredBytes += chunk.length;
    if (this.gatheredBytes > MAX_GATHERED_BYTES) throw new AppError('upstream_error', 'upstream body too large');
    this.gathered.push(chunk);
    return undefined;
  }

  /** A refusal or a non-SSE answer, now whole. */
  private async endGathered(): Promise<void> {
    const body = Buffer.concat(this.gathered, this.gatheredBytes);
    const { io, status } = this;
    if (status < 200 || status >= 300) {
      if (!this.committed) {
        respondRefusal(io, status, { 'content-type': this.contentType }, body); // or throws the generic error
        this.done();
        return;
      }
      const refusal = upstreamRefusal(status, body);
      const text = refusal instanceof AppError ? JSON.stringify(refusal.toBody()) : refusal.body.toString('utf8');
      await this.writer.write(Buffer.from(`event: error\ndata: ${text.replace(/\n/g, '')}\n\n`));
      await this.finish(false);
      return;
    }
    // Upstream answered a stream request with plain JSON: pass it on as it is.
    const parsed = parseObject(body.toString('utf8'));
    if (parsed === null && this.observer?.onJson && isJsonType(this.contentType || 'application/json')) throw new AppError('upstream_error', 'upstream answered with JSON that does not parse');
    if (parsed) await this.observer?.onJson?.(parsed);
    if (!this.committed) {
      await this.observer?.onFinish?.({ status, responseSha256: this.observer.hashResponse ? sha256(body) : null, responseBytes: body.length, streamed: false, completed: true });
      io.send(status, this.contentType || 'application/json', body);
      this.done();
      return;
    }
    await this.writer.write(body);
    await this.finish(true);
  }

  private async upstreamFailed(err: AppError): Promise<void> {
    if (!this.committed) throw err;
    if (this.mode === 'sse') {
      this.deps.logger.warn({ event: 'proxy.stream_failed', request_id: this.io.requestId, error_code: err.code, err: { type: err.cause instanceof Error ? err.cause.name : 'Error', code: (err.cause as { code?: string } | undefined)?.code } });
    }
    await this.writer.write(errorEvent(err, this.writer.atBoundary));
    await this.finish(false);
  }

  /**
   * A failure: upstream's (before its first byte) or our own steps'. Before the head went out
   * it is rejected for the error renderer, exactly as a non-streamed request's would be
   * (upstreamRefusal / the AppError maps it); after, an SSE error event ends the stream.
   */
  private fail(e: unknown): void {
    if (this.finished) return;
    this.call?.abort();
    if (!this.committed) {
      this.finished = true;
      this.stopTimers();
      this.reject(e);
      return;
    }
    const err = e instanceof AppError ? e : new AppError('internal_error', 'internal error', { cause: e });
    if (err.status >= 500 && !(e instanceof AppError)) this.deps.logger.error({ event: 'proxy.stream_step_failed', request_id: this.io.requestId, err: { type: (e as Error).name } });
    void this.writer.write(errorEvent(err, this.writer.atBoundary));
    this.finish(false).catch(() => {});
  }

  /** Ends the stream: the observer hears the outcome (a 2xx stream), then the last byte goes. */
  private async finish(completed: boolean): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.stopTimers();
    if (!this.committed) {
      // The client left before anything was sent.
      this.resolve();
      return;
    }
    const outcome: RelayOutcome = { status: this.status, responseSha256: this.writer.hash?.digest('hex') ?? null, responseBytes: this.writer.bytes, streamed: true, completed };
    try {
      if (this.status >= 200 && this.status < 300) await this.observer?.onFinish?.(outcome);
    } finally {
      if (!this.res.writableEnded) this.res.end();
      this.resolve();
    }
  }

  /** The answer went out whole (not committed): stop relaying and let the route return. */
  private done(): void {
    this.finished = true;
    this.stopTimers();
    this.resolve();
  }

  private stopTimers(): void {
    this.heartbeat?.();
    this.heartbeat = null;
    this.res.off('close', this.onClose);
  }
}
