// Which models people may use, as the operator chose them (ALLOWED_MODELS, DEFAULT_MODEL). The
// proxy asks it on every inference request (a Set lookup, nothing more), GET /v1/models lists
// by it, and account settings check a chosen default model against it.
//
// With ALLOWED_MODELS unset every model upstream serves may be used, and the list people see is
// upstream's own minus the models a chat cannot use (NON_CHAT): embeddings, speech, transcription,
// realtime audio, image and video generation, moderation and the legacy completion-only models.
import { AppError } from '../errors.ts';

/** A model as GET /models lists it (upstream's object, kept as it came). */
export type ModelObject = Readonly<Record<string, unknown>> & { readonly id: string };

/**
 * Ids of models a chat cannot use, by name: OpenAI's and the usual open-model names
 * (text-embedding-3-small, nomic-embed-text, bge-reranker, tts-1, gpt-4o-mini-tts, whisper-1,
 * gpt-4o-transcribe, gpt-4o-realtime-preview, gpt-4o-audio-preview, dall-e-3, gpt-image-1,
 * sora-2, omni-moderation-latest, babbage-002, davinci-002).
 */
export const NON_CHAT = /embed|rerank|tts|speech|whisper|transcri|realtime|audio|dall-e|image|sora|moderation|babbage|davinci/i;

export interface ModelPolicy {
  /** the allowed models in the operator's order (default first); null: any model upstream serves */
  readonly allowed: readonly string[] | null;
  /** the model a new chat starts with: DEFAULT_MODEL, else the first allowed one, else null */
  readonly defaultModel: string | null;
  /** whether a request may name `model` */
  allows(model: string): boolean;
  /**
   * Refuses a request body's `model` unless it is allowed: 404 model_not_found in OpenAI's
   * shape; with a list set, a missing or non-string model is a 400 (it could not be checked).
   */
  assertAllowed(model: unknown): void;
  /** What GET /v1/models shows of upstream's list: the allowed models, or its chat models, default first. */
  list(upstream: readonly ModelObject[]): ModelObject[];
}

/** OpenAI's answer for a model that does not exist or is not available to the caller. */
export function modelNotFound(model: string): AppError {
  return new AppError('model_not_found', `The model '${model.slice(0, 200)}' does not exist or you do not have access to it.`, { param: 'model' });
}

/** The policy for ALLOWED_MODELS (null: unset) and DEFAULT_MODEL. */
export function createModelPolicy(options: { allowed: readonly string[] | null; defaultModel: string | null }): ModelPolicy {
  const { defaultModel } = options;
  const ordered = options.allowed === null ? null
    : defaultModel !== null && options.allowed.includes(defaultModel) ? [defaultModel, ...options.allowed.filter((m) => m !== defaultModel)] : [...options.allowed];
  const set: ReadonlySet<string> | null = ordered === null ? null : new Set(ordered);
  const defaultFirst = (models: ModelObject[]) => {
    const i = defaultModel === null ? -1 : models.findIndex((m) => m.id === defaultModel);
    if (i > 0) models.unshift(...models.splice(i, 1));
    return models;
  };
  return {
    allowed: ordered,
    defaultModel,
    allows: (model) => set === null || set.has(model),
    assertAllowed(model) {
      if (set === null) return;
      if (typeof model !== 'string') {
        throw new AppError('invalid_request', model === undefined || model === null ? 'You must provide a model parameter.' : 'model must be a string.', { param: 'model' });
      }
      if (!set.has(model)) throw modelNotFound(model);
    },
    list(upstream) {
      if (ordered === null) return defaultFirst(upstream.filter((m) => !NON_CHAT.test(m.id)));
      const known = new Map(upstream.map((m) => [m.id, m]));
      // The operator's list itself (not only what upstream lists right now): see docs/operations.md.
      return ordered.map((id) => known.get(id) ?? { id, object: 'model', created: 0, owned_by: 'system' });
    },
  };
}
