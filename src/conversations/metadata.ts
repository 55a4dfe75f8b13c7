// Conversation metadata (titles, pins) kept sealed by Cloister, so the caller's conversation list
// shows titles without an upstream call per row. Upstream stays the source: a create or update
// is validated here as OpenAI validates metadata, forwarded, and what upstream answers is
// sealed (AES-256-GCM, its own key, bound to the owner and the conversation id). Titles are
// content: never plaintext in a row or a log line.
import Type from 'typebox';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import { AppError } from '../errors.ts';
import type { SealingKey } from '../shared/sealing.ts';
import { deleteConversationMetadata, upsertConversationMetadata } from './queries.ts';

/** OpenAI's metadata limits: at most 16 keys, keys at most 64 characters, string values at most 512. */
export const METADATA_MAX_KEYS = 16;
export const METADATA_MAX_KEY_LENGTH = 64;
export const METADATA_MAX_VALUE_LENGTH = 512;

export type Metadata = Readonly<Record<string, string>>;

/** Metadata as OpenAI takes it, for the OpenAPI document (the checks themselves are assertValidMetadata's). */
export const METADATA_SCHEMA = Type.Union([
  Type.Record(Type.String({ pattern: `^[\\s\\S]{0,${METADATA_MAX_KEY_LENGTH}}$` }), Type.String({ maxLength: METADATA_MAX_VALUE_LENGTH }), {
    maxProperties: METADATA_MAX_KEYS,
    description: 'at most 16 keys of at most 64 characters, string values of at most 512 (e.g. {"title": "…", "pinned": "true"}); kept sealed by Cloister for your list',
  }),
  Type.Null(),
]);

/** Why `value` is not metadata as OpenAI takes it (an object of at most 16 short strings), or null when it is. */
function metadataProblem(value: unknown, param: string): AppError | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return new AppError('invalid_request', `Invalid '${param}': expected an object with string values, or null.`, { param });
  }
  const entries = Object.entries(value);
  if (entries.length > METADATA_MAX_KEYS) {
    return new AppError('invalid_request', `Invalid '${param}': too many properties. Expected an object with at most ${METADATA_MAX_KEYS} properties, but got an object with ${entries.length} properties instead.`, { param });
  }
  for (const [key, v] of entries) {
    if (key.length > METADATA_MAX_KEY_LENGTH) {
      return new AppError('invalid_request', `Invalid '${param}': keys may be at most ${METADATA_MAX_KEY_LENGTH} characters long, but one is ${key.length} characters long.`, { param });
    }
    const at = `${param}.${key}`;
    if (typeof v !== 'string') return new AppError('invalid_request', `Invalid type for '${at}': expected a string.`, { param: at });
    if (v.length > METADATA_MAX_VALUE_LENGTH) {
      return new AppError('invalid_request', `Invalid '${at}': string too long. Expected a string with maximum length ${METADATA_MAX_VALUE_LENGTH}, but got a string with length ${v.length} instead.`, { param: at });
    }
  }
  return null;
}

/** Throws OpenAI's 400 (with `param`) unless a request's `metadata` is absent, null or valid metadata. */
export function assertValidMetadata(value: unknown, param = 'metadata'): void {
  if (value === undefined || value === null) return;
  const problem = metadataProblem(value, param);
  if (problem) throw problem;
}

export interface ConversationMetadata {
  /** keeps upstream's answer sealed (null, empty or not valid metadata: the copy is dropped) */
  keep(userId: string, conversationId: string, metadata: unknown): Promise<void>;
  /** deletes the sealed copy */
  drop(userId: string, conversationId: string): Promise<void>;
  /** a listing row's metadata, opened (`{}` when none is kept or it cannot be opened) */
  open(userId: string, conversationId: string, sealed: Uint8Array | null): Metadata;
}

/** Builds the sealed metadata store. */
export function createConversationMetadata(deps: { db: Queryable; clock: Clock; logger: Logger; sealing: SealingKey }): ConversationMetadata {
  const context = (userId: string, conversationId: string) => `conversation-metadata:${userId}:${conversationId}`;
  return {
    async keep(userId, conversationId, metadata) {
      if (metadata === null || metadata === undefined || metadataProblem(metadata, 'metadata') !== null || Object.keys(metadata as object).length === 0) {
        await deleteConversationMetadata(deps.db, conversationId, userId);
        return;
      }
      const sealed = deps.sealing.seal(Buffer.from(JSON.stringify(metadata), 'utf8'), context(userId, conversationId));
      await upsertConversationMetadata(deps.db, { conversationId, userId, sealed, now: deps.clock.now() });
    },
    drop: (userId, conversationId) => deleteConversationMetadata(deps.db, conversationId, userId),
    open(userId, conversationId, sealed) {
      if (sealed === null) return {};
      try {
        return JSON.parse(deps.sealing.open(sealed, context(userId, conversationId)).toString('utf8')) as Metadata;
      } catch (e) {
        // A copy sealed under another key (SESSION_SECRET changed) or tampered with: listed without it.
        deps.logger.warn({ event: 'conversations.metadata_unreadable', user_id: userId, err: { type: (e as Error).name } });
        return {};
      }
    },
  };
}
