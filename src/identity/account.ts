// Account self-service that spans capabilities: profile, sealed settings and deletion.
import type { Pool } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { AppError } from '../errors.ts';
import type { SealingKey } from './sealing.ts';
import type { SessionService } from './sessions.ts';
import type { ApiKeyService } from './api-keys.ts';
import { deleteUserPasskeys } from './passkey-queries.ts';
import { findUserById, updateDisplayName, findSealedSettings, upsertSealedSettings, deleteUser, type UserRow } from './user-queries.ts';

const SETTINGS_MAX_BYTES = 16 * 1024;

/** Deletes a user's conversations upstream, best effort; returns the ids that could not be deleted. */
export type DeleteUserObjects = (userId: string) => Promise<{ failed: string[] }>;

export interface AccountService {
  profile(userId: string): Promise<UserRow>;
  updateDisplayName(userId: string, name: unknown): Promise<UserRow>;
  settings(userId: string): Promise<Record<string, unknown>>;
  putSettings(userId: string, settings: unknown): Promise<Record<string, unknown>>;
  /** revokes everything, deletes conversations upstream, then the user and every owned row */
  deleteAccount(userId: string): Promise<{ failed: string[] }>;
}

/** Builds the account service. */
export function createAccountService(deps: {
  db: Pool; clock: Clock; logger: Logger; sealing: SealingKey; sessions: SessionService; apiKeys: ApiKeyService;
  deleteUserObjects: DeleteUserObjects;
}): AccountService {
  const { db, clock } = deps;
  const context = (userId: string) => `settings:${userId}`;
  async function profile(userId: string): Promise<UserRow> {
    const user = await findUserById(db, userId);
    if (!user) throw new AppError('not_found', 'Not found.');
    return user;
  }
  return {
    profile,
    async updateDisplayName(userId, name) {
      // eslint-disable-next-line no-control-regex -- refusing control characters is the point
      if (name !== null && (typeof name !== 'string' || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name))) {
        throw new AppError('invalid_request', 'display_name must be null or at most 100 printable characters', { param: 'display_name' });
      }
      const user = await updateDisplayName(db, userId, name === null ? null : name.trim() || null);
      if (!user) throw new AppError('not_found', 'Not found.');
      return user;
    },
    async settings(userId) {
      const sealed = await findSealedSettings(db, userId);
      if (!sealed) return {};
      return JSON.parse(deps.sealing.open(sealed, context(userId)).toString('utf8')) as Record<string, unknown>;
    },
    async putSettings(userId, settings) {
      if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
        throw new AppError('invalid_request', 'settings must be a JSON object');
      }
      const bytes = Buffer.from(JSON.stringify(settings), 'utf8');
      if (bytes.length > SETTINGS_MAX_BYTES) throw new AppError('invalid_request', `settings must be at most ${SETTINGS_MAX_BYTES} bytes`);
      await upsertSealedSettings(db, userId, deps.sealing.seal(bytes, context(userId)), clock.now());
      return settings as Record<string, unknown>;
    },
    async deleteAccount(userId) {
      // Credentials first, so nothing can act for the account while it is being taken apart.
      await deps.sessions.revokeAll(userId);
      for (const key of await deps.apiKeys.list(userId)) await deps.apiKeys.revoke({ id: key.id, userId });
      deps.apiKeys.forgetUser(userId);
      await deleteUserPasskeys(db, userId);
      let failed: string[] = [];
      try {
        failed = (await deps.deleteUserObjects(userId)).failed;
      } catch (e) {
        deps.logger.warn({ event: 'account.delete_upstream_failed', user_id: userId, err: { type: (e as Error).name } });
      }
      await deleteUser(db, userId);
      deps.logger.info({ event: 'account.deleted', user_id: userId, failed_objects: failed.length });
      return { failed };
    },
  };
}
