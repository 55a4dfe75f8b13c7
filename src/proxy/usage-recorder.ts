// Usage counters from completed exchanges: per user, model and UTC day. Counts only.
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { addUsage } from '../conversations/queries.ts';
import type { ExchangeSubscriber } from './exchange-events.ts';

/** A subscriber that upserts the counters of every successful exchange. */
export function createUsageRecorder(db: Queryable, clock: Clock): ExchangeSubscriber {
  return async (e) => {
    if (e.status < 200 || e.status >= 300) return;
    await addUsage(db, {
      userId: e.userId,
      day: clock.now().toISOString().slice(0, 10),
      model: (e.model ?? 'unknown').slice(0, 200),
      inputTokens: e.usage?.inputTokens ?? null,
      outputTokens: e.usage?.outputTokens ?? null,
    });
  };
}
