// The per-request state every middleware and route shares.
import type { Next } from 'koa';
import type { RouterContext } from '@koa/router';
import type { Principal } from '../shared/principal.ts';
import type { Exchange } from './exchange.ts';

export interface AppState {
  /** the frame's exchange for this request (src/http/frame.ts): what relays and logs use */
  exchange?: Exchange;
  requestId: string;
  clientIp: string;
  principal?: Principal;
  /** a route's JSON body, parsed and validated (src/http/routes.ts) */
  body?: unknown;
  /** the route pattern of a response no router gave (the web app's pages and files) */
  route?: string;
}

export type AppContext = RouterContext<AppState>;
export type AppMiddleware = (ctx: AppContext, next: Next) => Promise<unknown> | unknown;
