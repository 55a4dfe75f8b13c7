// Disabling and re-enabling an account, and changing its tier and limit overrides: the account
// state administration changes (identity owns the users table; admin calls these). Each is one
// transaction with whatever the caller must record with it (the audit row), so no replica can
// see a half-made change.
import type { Pool, Queryable } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { revokeUserSessions } from './session-queries.ts';
import { revokeUserApiKeys } from './api-key-queries.ts';
import { lockUserLimits, setDisabled, setEnabled, updateUserLimits } from './user-queries.ts';

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

/** A user's tier and limit overrides. */
export interface UserLimits {
  readonly tier: string;
  readonly limit_overrides: Record<string, number | null>;
}

/**
 * Sets a user's tier and overrides to what `next` makes of the current ones (the row locked
 * meanwhile); `alsoInTx` runs in the same transaction. False when the user does not exist.
 */
export function setUserLimits(pool: Pool, userId: string, next: (current: UserLimits) => UserLimits, alsoInTx?: (tx: Queryable, before: UserLimits, after: UserLimits) => Promise<void>): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const current = await lockUserLimits(tx, userId);
    if (!current) return false;
    const after = next(current);
    await updateUserLimits(tx, userId, after.tier, after.limit_overrides);
    if (alsoInTx) await alsoInTx(tx, current, after);
    return true;
  });
}
