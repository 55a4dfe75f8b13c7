// Account self-service that spans capabilities: profile, sealed settings and deletion.
import type { Pool } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { AppError } from '../errors.ts';
import type { SealingKey } from '../shared/sealing.ts';
import type { ModelPolicy } from '../shared/model-policy.ts';
import type { SessionService } from './sessions.ts';
import type { ApiKeyService } from './api-keys.ts';
import { deleteUserPasskeys } from './passkey-queries.ts';
import { findUserById, updateDisplayName, findSealedSettings, upsertSealedSettings, deleteUser, type UserRow } from './user-queries.ts';

// Room for 8000 characters of instructions even in 4-byte UTF-8, with the rest of the settings.
const SETTINGS_MAX_BYTES = 48 * 1024;
/** The most custom instructions may hold (characters). */
export const INSTRUCTIONS_MAX_CHARS = 8000;

/**
 * Settings are free JSON, but the keys the web app gives meaning to must have their type:
 * `default_model` (a model the operator allows), `instructions` (sent as the Responses
 * `instructions`) and `instructions_enabled`. Each may also be null (unset).
 */
function assertKnownSettings(settings: Record<string, unknown>, models: ModelPolicy): void {
  const { default_model: model, instructions, instructions_enabled: enabled } = settings;
  if (model !== undefined && model !== null) {
    if (typeof model !== 'string' || model.length === 0 || model.length > 200) throw new AppError('invalid_request', 'default_model must be a model id (a string of at most 200 characters) or null', { param: 'default_model' });
    if (!models.allows(model)) throw new AppError('invalid_request', `default_model: the model '${model}' is not one this server offers (see GET /v1/models)`, { param: 'default_model' });
  }
  if (instructions !== undefined && instructions !== null && (typeof instructions !== 'string' || instructions.length > INSTRUCTIONS_MAX_CHARS)) {
    throw new AppError('invalid_request', `instructions must be a string of at most ${INSTRUCTIONS_MAX_CHARS} characters, or null`, { param: 'instructions' });
  }
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean') {
    throw new AppError('invalid_request', 'instructions_enabled must be true, false or null', { param: 'instructions_enabled' });
  }
}

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
  /** the models a default_model setting may name */
  models: ModelPolicy;
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
      assertKnownSettings(settings as Record<string, unknown>, deps.models);
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
