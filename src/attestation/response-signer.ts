// Captures, for every completed chat completion and response, the text to sign:
// sha256(request bytes as received) ":" sha256(response bytes as sent), with its owner and an
// expiry. The signatures over that text are made with the attested keys when first requested
// (routes.ts) and kept: the same keys sign the same text, and the reply's hot path pays only
// for its row (written with those of other replies finishing at the same time), not for two
// signatures nobody may ask for.
import type pg from 'pg';
import { createCoalescer } from '../db/coalescer.ts';
import type { Clock } from '../clock.ts';
import { describeError, type Logger } from '../log.ts';
import type { ExchangeSubscriber } from '../shared/exchanges.ts';
import { upsertSignedTexts, deleteExpiredSignatures, type SignedText } from './signature-queries.ts';

const SWEEP_EVERY = 500;
/** Rows written together: up to 64 per statement, two statements in flight. */
const BATCHING = { maxBatch: 64, maxInFlight: 2 };

/** The exchange subscriber that captures the text to sign (subscribe it with { hashes: true }). */
export function createResponseSigner(deps: { db: pg.Pool; clock: Clock; ttlMs: number; logger: Logger }): ExchangeSubscriber {
  let written = 0;
  // Group commit: rows that arrive while a batch is being written go together in the next one,
  // so under load a reply waits for its share of one statement instead of a transaction of its
  // own. The statement does not wait for a WAL flush (signature-queries.ts), which cost ~2 ms a
  // reply. (Replies repeating one object id serialise on its row: only a misbehaving upstream
  // does that.)
  const rows = createCoalescer<SignedText, void>(async (batch) => {
    await upsertSignedTexts(deps.db, batch);
    const before = written;
    written += batch.length;
    if (Math.floor(before / SWEEP_EVERY) !== Math.floor(written / SWEEP_EVERY)) {
      deleteExpiredSignatures(deps.db, deps.clock.now())
        .catch((e: unknown) => deps.logger.warn({ event: 'signatures.sweep_failed', err: describeError(e) }));
    }
    return batch.map(() => undefined);
  }, BATCHING);
  return (e) => {
    if ((e.kind !== 'chat.completion' && e.kind !== 'response') || e.objectId === null || e.status < 200 || e.status >= 300) return undefined;
    // Subscribed with { hashes: true }, so both are always there; never sign a text without them.
    if (e.requestSha256 === null || e.responseSha256 === null) return undefined;
    const now = deps.clock.now();
    return rows.run({ objectId: e.objectId, userId: e.userId, text: `${e.requestSha256}:${e.responseSha256}`, now, expiresAt: new Date(now.getTime() + deps.ttlMs) });
  };
}
