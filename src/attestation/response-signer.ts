// Captures, for every completed chat completion and response, the text to sign:
// sha256(request bytes as received) ":" sha256(response bytes as sent), with its owner and an
// expiry. The signatures over that text are made with the attested keys when first requested
// (routes.ts) and kept: the same keys sign the same text, and the reply's hot path pays only
// for one row, not for two signatures nobody may ask for.
import type pg from 'pg';
import { withTransaction } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { ExchangeSubscriber } from '../proxy/exchange-events.ts';
import { upsertSignedText, deleteExpiredSignatures } from './signature-queries.ts';

const SWEEP_EVERY = 500;

/** The exchange subscriber that signs and stores. */
export function createResponseSigner(deps: { db: pg.Pool; clock: Clock; ttlMs: number }): ExchangeSubscriber {
  let signed = 0;
  return async (e) => {
    if ((e.kind !== 'chat.completion' && e.kind !== 'response') || e.objectId === null || e.status < 200 || e.status >= 300) return;
    // Subscribed with { hashes: true }, so both are always there; never sign a text without them.
    if (e.requestSha256 === null || e.responseSha256 === null) return;
    const text = `${e.requestSha256}:${e.responseSha256}`;
    const now = deps.clock.now();
    const row = { objectId: e.objectId, userId: e.userId, text, now, expiresAt: new Date(now.getTime() + deps.ttlMs) };
    // The client's response waits for this row, and waiting for a WAL flush per reply cost
    // ~2 ms. Without it a crash may lose the last instants' signatures (they expire anyway);
    // nothing else is affected, and readers still see the row as soon as it commits.
    await withTransaction(deps.db, async (client) => {
      await client.query('set local synchronous_commit = off');
      await upsertSignedText(client, row);
    });
    if (++signed % SWEEP_EVERY === 0) await deleteExpiredSignatures(deps.db, now);
  };
}
