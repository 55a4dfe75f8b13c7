// Completed request/response exchanges, published by the proxy and consumed by whoever
// app.ts subscribes (the response signer, usage and token limits). The proxy imports nothing
// from those consumers. Emitting awaits every subscriber, so the proxy can finish the client's
// response only after, e.g., the signature is stored — a client that asks for it right after
// the last byte never races the write.
import type { Logger } from '../log.ts';
import type { CompletedExchange, ExchangeSubscriber } from '../shared/exchanges.ts';

export interface ExchangeEvents {
  /** `hashes`: the subscriber needs both sha256 hashes (the signer); without such a subscriber nobody hashes */
  subscribe(fn: ExchangeSubscriber, options?: { hashes?: boolean }): () => void;
  /** whether any subscriber needs the hashes, so the proxy computes them */
  readonly wantsHashes: boolean;
  /** Runs every subscriber and waits for them all; a failing subscriber is logged and does not affect the others. */
  emit(e: CompletedExchange): Promise<void>;
}

/** Creates the in-process event channel (one per app). */
export function createExchangeEvents(logger: Logger): ExchangeEvents {
  const subscribers = new Set<ExchangeSubscriber>();
  const hashing = new Set<ExchangeSubscriber>();
  /** What emit answers when no subscriber had anything to wait for. */
  const settled: Promise<void> = Promise.resolve();
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
      // Subscribers run one after another; those that answer with a promise are waited for together.
      let waiting: Promise<void>[] | null = null;
      for (const fn of subscribers) {
        let result: Promise<void> | void;
        try {
          result = fn(e);
        } catch (err) {
          failed(e, err);
          continue;
        }
        if (result) (waiting ??= []).push(result.catch((err: unknown) => failed(e, err)));
      }
      if (waiting === null) return settled;
      return waiting.length === 1 ? waiting[0]! : Promise.all(waiting).then(() => undefined);
    },
  };
}
