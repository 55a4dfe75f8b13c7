// Request bodies may name other upstream objects: items, reasoning items, containers, files,
// vector stores, stored prompts, audio answers, MCP approval requests, conversations, responses.
// Under one shared upstream key any of those would reach another user's data, so every body
// Cloister forwards is walked against the shapes it understands (reference-walk.ts, with the
// shapes in response-shapes.ts and chat-shapes.ts): a reference of a kind Cloister records
// owners for must be the caller's (404 otherwise, like any id that is not yours); any other
// reference, and anything unknown that could be one, is refused with 400 naming the field.
import { AppError } from '../errors.ts';
import type { Ownership } from '../conversations/ownership.ts';
import { referencesIn, type Reference, type Shape } from './reference-walk.ts';

export { CHAT_COMPLETION_CREATE, EMBEDDING_CREATE } from './chat-shapes.ts';
export { CONVERSATION_CREATE, CONVERSATION_ITEMS_CREATE, METADATA_UPDATE, NO_FIELDS, RESPONSE_CREATE } from './response-shapes.ts';

/** More references than any real conversation holds: one query stays small. */
export const MAX_REFERENCES = 10_000;

/**
 * The references in a request body, to be checked with assertOwnsReferences; throws the 400
 * for a refused one. Synchronous and without I/O, so a refused body costs nothing else.
 */
export function bodyReferences(body: unknown, shape: Shape): Reference[] {
  const found = referencesIn(body ?? {}, shape);
  if (found.length > MAX_REFERENCES) throw new AppError('invalid_request', `The request body names more than ${MAX_REFERENCES} upstream objects.`);
  return found;
}

/** 404 (naming the field) unless the user owns every referenced object; no query when there are none. */
export function assertOwnsReferences(ownership: Ownership, references: readonly Reference[], userId: string): Promise<void> | undefined {
  return references.length === 0 ? undefined : ownership.assertOwnsAll(references, userId);
}
