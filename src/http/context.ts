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
  /** set by the inference limits: told about this request's completed exchange */
  meter?: RequestMeter;
}

/** What an exchange cost, as the limits need it: token counts and sizes, never content. */
export interface ExchangeCost {
  /** as usage rows name it (listed by upstream, else `other`) */
  readonly model: string;
  /** null when upstream reported no usage */
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/** Per-request hook of the limits: settles the request when its exchange completes, before the last byte. */
export interface RequestMeter {
  /** the meter writes this request's usage itself, so the batched usage recorder skips it */
  readonly recordsUsage: boolean;
  settle(cost: ExchangeCost): Promise<void>;
}

export type AppContext = RouterContext<AppState>;
export type AppMiddleware = (ctx: AppContext, next: Next) => Promise<unknown> | unknown;
