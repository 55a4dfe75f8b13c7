// Usage counters from completed exchanges: per user, model and UTC day, counts only. Counters
// are summed in memory and written in one upsert per (user, day, model) at most once a
// second, so no request waits on a database write for bookkeeping. The usage route flushes
// first, so a user always reads their own requests; a crashed replica loses at most the last
// second of counts. (Limits do not rely on these counters.)
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { addUsage } from '../conversations/queries.ts';
import type { ExchangeSubscriber } from '../shared/exchanges.ts';
import { estimateTokens, usableCounts } from '../shared/token-counts.ts';
import { utcDay } from '../limits/periods.ts';

export interface UsageRecorder {
  readonly subscriber: ExchangeSubscriber;
  /** writes every pending counter */
  flush(): Promise<void>;
  /** stops the timer and flushes */
  close(): Promise<void>;
}

interface Pending { userId: string; day: string; model: string; requests: number; inputTokens: number; outputTokens: number; withoutUsage: number; estimatedTokens: number }

/** Buffers usage counters and flushes them periodically. */
export function createUsageRecorder(db: Queryable, clock: Clock, logger: Logger, intervalMs = 1000): UsageRecorder {
  let pending = new Map<string, Pending>();
  let flushing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    flushing = flushing.then(async () => {
      if (pending.size === 0) return;
      const batch = pending;
      pending = new Map();
      for (const p of batch.values()) {
        try {
          await addUsage(db, p);
        } catch (e) {
          logger.warn({ event: 'usage.flush_failed', err: { type: (e as Error).name, code: (e as { code?: string }).code } });
        }
      }
    });
    return flushing;
  };
  const stop = clock.every(intervalMs, () => { void flush(); });

  return {
    subscriber(e) {
      if (e.status < 200 || e.status >= 300 || e.usageRecorded) return;
      const day = utcDay(clock.now());
      const model = e.model;
      const key = `${e.userId}\u0000${day}\u0000${model}`;
      let p = pending.get(key);
      if (!p) {
        p = { userId: e.userId, day, model, requests: 0, inputTokens: 0, outputTokens: 0, withoutUsage: 0, estimatedTokens: 0 };
        pending.set(key, p);
      }
      p.requests += 1;
      // Counts are checked where they are read (readUsage) and again here, where they are added:
      // one absurd number must never make a flush fail and take the other counts with it.
      if (e.usage && usableCounts(e.usage.inputTokens, e.usage.outputTokens)) {
        p.inputTokens += e.usage.inputTokens;
        p.outputTokens += e.usage.outputTokens;
      } else {
        p.withoutUsage += 1;
        p.estimatedTokens += estimateTokens(e.requestBytes + e.responseBytes);
      }
    },
    flush,
    async close() {
      stop();
      await flush();
    },
  };
}
