// The per-request state every middleware and route shares.
import type { Next } from 'koa';
import type { RouterContext } from '@koa/router';
import type { Principal } from '../shared/principal.ts';

export interface AppState {
  requestId: string;
  clientIp: string;
  principal?: Principal;
  /** request body bytes exactly as received (JSON routes that forward or sign them) */
  rawBody?: Buffer;
  /** parsed copy of rawBody */
  json?: unknown;
  /** the route pattern of a response no router gave (the web app's pages and files) */
  route?: string;
}

export type AppContext = RouterContext<AppState>;
export type AppMiddleware = (ctx: AppContext, next: Next) => Promise<unknown> | unknown;
