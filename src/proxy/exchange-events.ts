// Completed request/response exchanges, published by the proxy and consumed by whoever
// app.ts subscribes (the response signer, usage and token limits). The proxy imports nothing
// from those consumers. Emitting awaits every subscriber, so the proxy can finish the client's
// response only after, e.g., the signature is stored — a client that asks for it right after
// the last byte never races the write.
import type { Logger } from '../log.ts';

export interface CompletedExchange {
  readonly kind: 'chat.completion' | 'response' | 'embedding';
  /** upstream object id (chatcmpl-…, resp_…); null when upstream returned none */
  readonly objectId: string | null;
  readonly userId: string;
  readonly apiKeyId: string | null;
  /** the model as usage rows name it: one upstream lists (or the operator allows), else `other` (model-names.ts) */
  readonly model: string;
  /** sha256 hex of the request body bytes as received (null unless a subscriber asked for hashes) */
  readonly requestSha256: string | null;
  /** sha256 hex of every response body byte as sent to the client (likewise) */
  readonly responseSha256: string | null;
  readonly status: number;
  readonly streamed: boolean;
  /** token usage when upstream reported it; null = unknown */
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number } | null;
  /** false when the client went away or upstream failed mid-stream */
  readonly completed: boolean;
  /** bytes received from the client and sent back to it */
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** the limits already wrote this exchange's usage (a metered user); the usage recorder skips it */
  readonly usageRecorded: boolean;
}

export type ExchangeSubscriber = (e: CompletedExchange) => Promise<void> | void;

export interface ExchangeEvents {
  /** `hashes`: the subscriber needs both sha256 hashes (the signer); without such a subscriber nobody hashes */
  subscribe(fn: ExchangeSubscriber, options?: { hashes?: boolean }): () => void;
  /** whether any subscriber needs the hashes, so the proxy computes them */
  readonly wantsHashes: boolean;
  /**
   * Runs every subscriber; a failing subscriber is logged and does not affect the others. A
   * promise only when a subscriber returned one (the signer's row), so the proxy waits only then.
   */
  emit(e: CompletedExchange): Promise<void> | undefined;
}

/** Creates the in-process event channel (one per app). */
export function createExchangeEvents(logger: Logger): ExchangeEvents {
  const subscribers = new Set<ExchangeSubscriber>();
  const hashing = new Set<ExchangeSubscriber>();
  const failed = (e: CompletedExchange, err: unknown) => {
    logger.error({ event: 'exchange.subscriber_failed', kind: e.kind, err: { type: (err as Error).name, code: (err as { code?: string }).code } });
  };
  return {
    subscribe(fn, options = {}) {
      subscribers.add(fn);
      if (options.hashes) hashing.add(fn);
      return () => {
        subscribers.delete(fn);
        hashing.delete(fn);
      };
    },
    get wantsHashes() {
      return hashing.size > 0;
    },
    emit(e) {
      let waits: Array<Promise<void>> | undefined;
      for (const fn of subscribers) {
        try {
          const r = fn(e);
          if (r instanceof Promise) (waits ??= []).push(r.catch((err: unknown) => failed(e, err)));
        } catch (err) {
          failed(e, err);
        }
      }
      return waits && Promise.all(waits).then(() => undefined);
    },
  };
}
