// The per-request state every middleware and route shares.
import type { Next } from 'koa';
import type { RouterContext } from '@koa/router';
import type { Principal } from '../auth/api-keys.ts';

export interface AppState {
  requestId: string;
  clientIp: string;
  principal?: Principal;
  /** request body bytes exactly as received (JSON routes that forward or sign them) */
  rawBody?: Buffer;
  /** parsed copy of rawBody */
  json?: unknown;
}

export type AppContext = RouterContext<AppState>;
export type AppMiddleware = (ctx: AppContext, next: Next) => Promise<unknown> | unknown;
