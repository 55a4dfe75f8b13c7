// Signs every completed chat completion and response: text = sha256(request bytes as received)
// ":" sha256(response bytes as sent), with both keys; stored with the owner and an expiry.
import type pg from 'pg';
import { withTransaction } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { ExchangeSubscriber } from '../proxy/exchange-events.ts';
import type { SigningKeys } from './signing-keys.ts';
import { upsertSignature, deleteExpiredSignatures } from './signature-queries.ts';

const SWEEP_EVERY = 500;

/** The exchange subscriber that signs and stores. */
export function createResponseSigner(deps: { db: pg.Pool; clock: Clock; keys: () => Promise<SigningKeys>; ttlMs: number }): ExchangeSubscriber {
  let signed = 0;
  return async (e) => {
    if ((e.kind !== 'chat.completion' && e.kind !== 'response') || e.objectId === null || e.status < 200 || e.status >= 300) return;
    const keys = await deps.keys();
    const text = `${e.requestSha256}:${e.responseSha256}`;
    const now = deps.clock.now();
    const row = {
      objectId: e.objectId, userId: e.userId, text,
      ecdsa: keys.sign('ecdsa', text), ed25519: keys.sign('ed25519', text),
      now, expiresAt: new Date(now.getTime() + deps.ttlMs),
    };
    // The client's response waits for this row, and waiting for a WAL flush per reply cost
    // ~2 ms. Without it a crash may lose the last instants' signatures (they expire anyway);
    // nothing else is affected, and readers still see the row as soon as it commits.
    await withTransaction(deps.db, async (client) => {
      await client.query('set local synchronous_commit = off');
      await upsertSignature(client, row);
    });
    if (++signed % SWEEP_EVERY === 0) await deleteExpiredSignatures(deps.db, now);
  };
}
