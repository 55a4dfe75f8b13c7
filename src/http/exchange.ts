// One request and its response, as the frame (frame.ts) hands them to whatever answers: the
// request id, the client IP, who is asking once authenticated, the route that answered, and the
// response headers. The frame makes one per request; a hot route (found by exact match) is
// served on it directly, and a route reached through Koa finds the same object in
// ctx.state.exchange. So the relay, the error renderer and the access log each exist once.
//
// The frame's headers and a hot route's own are kept here, as Node's writeHead takes them
// (name, value, …), and go out with the status line: no per-header bookkeeping in the response
// object. Once the exchange is handed to Koa, headers go to the response object, where Koa's
// own answer picks them up.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../shared/principal.ts';

/** Request headers by lower-case name ('' when absent): what authenticators and checks read. */
export interface HeaderSource {
  get(name: string): string;
}

/** A request header as Koa's ctx.get reads it. */
export function headerOf(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return typeof v === 'string' ? v : v === undefined ? '' : v.join(', ');
}

export class Exchange implements HeaderSource {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** when the request arrived (performance.now()) */
  readonly start: number;
  clientIp = '';
  /** who made the request, once authenticated (the access log reads it) */
  principal: Principal | undefined = undefined;
  /** the route pattern that answered (the access log names it); null: none did */
  route: string | null = null;
  private headers: string[] | null;

  constructor(req: IncomingMessage, res: ServerResponse, requestId: string, frameHeaders: readonly string[]) {
    this.req = req;
    this.res = res;
    this.requestId = requestId;
    this.start = performance.now();
    this.headers = ['x-request-id', requestId, ...frameHeaders];
  }

  get(name: string): string {
    return headerOf(this.req, name);
  }

  /** Names are lower-case (every caller's are), so a name is found by plain comparison. */
  private indexOf(name: string): number {
    const h = this.headers!;
    for (let i = 0; i < h.length; i += 2) if (h[i] === name) return i;
    return -1;
  }

  /** Sets a response header (before the head goes out). */
  set(name: string, value: string): void {
    if (this.headers === null) {
      this.res.setHeader(name, value);
      return;
    }
    const at = this.indexOf(name);
    if (at === -1) this.headers.push(name, value);
    else this.headers[at + 1] = value;
  }

  /** Whether a response header is set already. */
  has(name: string): boolean {
    return this.headers === null ? this.res.hasHeader(name) : this.indexOf(name) !== -1;
  }

  /**
   * From here on headers live on the response object (what Koa answers with): the ones kept so
   * far are moved there. Called once, when the frame hands the request to Koa.
   */
  toResponseObject(): void {
    const h = this.headers;
    if (h === null) return;
    this.headers = null;
    for (let i = 0; i < h.length; i += 2) this.res.setHeader(h[i]!, h[i + 1]!);
  }

  /** Answers with a whole body. */
  send(status: number, contentType: string, body: Buffer | string): void {
    const res = this.res;
    if (this.headers === null) {
      res.statusCode = status;
      if (status !== 204 && status !== 304) {
        res.setHeader('content-type', contentType);
        res.setHeader('content-length', Buffer.byteLength(body));
        res.end(body);
      } else {
        res.end();
      }
      return;
    }
    if (status === 204 || status === 304) {
      res.writeHead(status, this.headers);
      res.end();
      return;
    }
    this.set('content-type', contentType);
    this.headers.push('content-length', String(Buffer.byteLength(body)));
    res.writeHead(status, this.headers);
    res.end(body);
  }

  /** Sends the status line and the headers set so far now; the caller writes the body to `res`. */
  takeOver(status: number): void {
    if (this.headers === null) this.res.writeHead(status);
    else this.res.writeHead(status, this.headers);
    this.res.flushHeaders();
  }
}

/** What a route handler reads of its request and writes of its response (the Exchange). */
export type RequestIo = Exchange;
