// What a route handler reads of its request and writes of its response, whichever front door
// the request came through: Koa (every route) or the direct routes (the inference POSTs, served
// without Koa's per-request machinery; see direct-routes.ts). The relay and the inference
// handlers are written against this, so each exists once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../shared/principal.ts';
import type { AppContext } from './context.ts';

/** Request headers by lower-case name ('' when absent): what authenticators and checks read. */
export interface HeaderSource {
  get(name: string): string;
}

export interface RequestIo extends HeaderSource {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  /** who made the request, once authenticated (the access log reads it) */
  principal: Principal | undefined;
  /** sets a response header (before the head goes out) */
  set(name: string, value: string): void;
  /** whether a response header is set already */
  has(name: string): boolean;
  /** answers with a whole body */
  send(status: number, contentType: string, body: Buffer): void;
  /** sends the status line and the headers set so far now; the caller writes the body to `res` */
  takeOver(status: number): void;
}

/** A request header as Koa's ctx.get reads it. */
export function headerOf(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  return typeof v === 'string' ? v : v === undefined ? '' : v.join(', ');
}

/** The RequestIo of a Koa context (its response still goes out through Koa unless taken over). */
export function koaIo(ctx: AppContext): RequestIo {
  return {
    req: ctx.req,
    res: ctx.res,
    requestId: ctx.state.requestId,
    get principal() { return ctx.state.principal; },
    set principal(p) { ctx.state.principal = p; },
    get: (name) => ctx.get(name),
    set: (name, value) => { ctx.set(name, value); },
    has: (name) => ctx.res.hasHeader(name),
    send(status, contentType, body) {
      ctx.status = status;
      ctx.set('content-type', contentType);
      ctx.body = body;
    },
    takeOver(status) {
      ctx.respond = false; // Koa must not answer again; errors from here on are the handler's
      ctx.status = status;
      ctx.res.writeHead(status);
      ctx.res.flushHeaders();
    },
  };
}
