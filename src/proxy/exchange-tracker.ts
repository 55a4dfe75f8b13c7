// Follows one creation exchange (chat completion, response, embedding): records ownership of
// the id upstream assigns before the client can see it, collects usage, and publishes the
// completed exchange when the relay finishes.
import type { Principal } from '../auth/api-keys.ts';
import type { Ownership } from '../conversations/ownership.ts';
import type { CompletedExchange, ExchangeEvents } from './exchange-events.ts';
import type { Observer } from './relay.ts';
import type { RequestMeter } from '../http/context.ts';

export interface TrackOptions {
  readonly kind: CompletedExchange['kind'];
  readonly principal: Principal;
  readonly model: string | null;
  readonly requestSha256: string;
  readonly requestBytes: number;
  /** the limits' hook for this request, if any */
  readonly meter?: RequestMeter;
  /** the conversation a response is attached to, already ownership-checked */
  readonly conversationId: string | null;
  /** false when upstream keeps no object to come back to (chat completions without store) */
  readonly recordOwnership: boolean;
  readonly ownership: Ownership;
  readonly events: ExchangeEvents;
}

type Usage = { inputTokens: number; outputTokens: number };

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/** Usage from an OpenAI `usage` object of either API family. */
export function readUsage(u: unknown): Usage | null {
  if (u === null || typeof u !== 'object') return null;
  const o = u as Record<string, unknown>;
  const input = num(o.input_tokens) ?? num(o.prompt_tokens);
  const output = num(o.output_tokens) ?? num(o.completion_tokens) ?? (input !== null && o.total_tokens !== undefined ? 0 : null);
  return input !== null && output !== null ? { inputTokens: input, outputTokens: output } : null;
}

/** The observer that tracks one creation exchange. */
export function trackExchange(o: TrackOptions): Observer {
  let objectId: string | null = null;
  let usage: Usage | null = null;
  const ownedKind = o.kind === 'chat.completion' ? 'chat_completion' : o.kind === 'response' ? 'response' : null;

  const learnId = async (id: unknown) => {
    if (objectId !== null || typeof id !== 'string') return;
    objectId = id;
    if (ownedKind !== null && o.recordOwnership) await o.ownership.record(ownedKind, id, o.principal.userId, o.conversationId);
  };

  return {
    async onJson(body) {
      await learnId(body.id);
      usage = readUsage(body.usage) ?? usage;
    },
    async onEvent(event, data) {
      const type = event ?? (typeof data.type === 'string' ? data.type : undefined);
      if (o.kind === 'response') {
        const response = data.response as Record<string, unknown> | undefined;
        if (response && typeof response === 'object') {
          await learnId(response.id);
          if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') usage = readUsage(response.usage) ?? usage;
        }
        return;
      }
      await learnId(data.id);
      usage = readUsage(data.usage) ?? usage;
    },
    async onFinish(outcome) {
      await o.meter?.settle({
        model: o.model, inputTokens: usage?.inputTokens ?? null, outputTokens: usage?.outputTokens ?? null,
        requestBytes: o.requestBytes, responseBytes: outcome.responseBytes,
      });
      await o.events.emit({
        kind: o.kind,
        objectId,
        userId: o.principal.userId,
        apiKeyId: o.principal.keyId ?? null,
        model: o.model,
        requestSha256: o.requestSha256,
        responseSha256: outcome.responseSha256,
        status: outcome.status,
        streamed: outcome.streamed,
        usage,
        completed: outcome.completed,
        requestBytes: o.requestBytes,
        responseBytes: outcome.responseBytes,
        usageRecorded: o.meter?.recordsUsage ?? false,
      });
    },
  };
}
