// Disabling and re-enabling an account. Disabling is one transaction: disabled_at, every
// session and every API key revoked together, plus whatever the caller must record with it
// (the audit row), so no replica can see a half-disabled account.
import type { Pool, Queryable } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { revokeUserSessions } from './session-queries.ts';
import { revokeUserApiKeys } from './api-key-queries.ts';
import { setDisabled, setEnabled } from './user-queries.ts';

/** What disabling did. */
export interface DisableResult {
  readonly changed: boolean;
  readonly revokedKeys: ReadonlyArray<{ id: string; prefix: string }>;
}

/** Disables `userId`, revoking its sessions and API keys; `alsoInTx` runs in the same transaction. */
export function disableUser(pool: Pool, clock: Clock, userId: string, alsoInTx?: (tx: Queryable, r: DisableResult) => Promise<void>): Promise<DisableResult> {
  return withTransaction(pool, async (tx) => {
    const now = clock.now();
    const changed = await setDisabled(tx, userId, now);
    await revokeUserSessions(tx, userId, now);
    const result = { changed, revokedKeys: await revokeUserApiKeys(tx, userId, now) };
    if (alsoInTx) await alsoInTx(tx, result);
    return result;
  });
}

/** Re-enables `userId` (revoked sessions and keys stay revoked); `alsoInTx` runs in the same transaction. */
export function enableUser(pool: Pool, userId: string, alsoInTx?: (tx: Queryable, changed: boolean) => Promise<void>): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const changed = await setEnabled(tx, userId);
    if (alsoInTx) await alsoInTx(tx, changed);
    return changed;
  });
}
