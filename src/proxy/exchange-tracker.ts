// Follows one creation exchange (chat completion, response, embedding): records ownership of
// the id upstream assigns before the client can see it (and of a response's output items:
// revealed-items.ts), collects usage, and publishes the completed exchange when the relay
// finishes.
import type { Principal } from '../shared/principal.ts';
import type { Ownership } from '../conversations/ownership.ts';
import type { CompletedExchange, ExchangeEvents } from './exchange-events.ts';
import type { Observer, RelayOutcome } from './relay-types.ts';
import { sha256 } from './answer.ts';
import type { RequestMeter } from '../shared/metering.ts';
import { FINAL_RESPONSE_EVENTS, ITEM_EVENT_MARK, RevealedItems, revealedObjects, revealsItems } from './revealed-items.ts';

export interface TrackOptions {
  readonly kind: CompletedExchange['kind'];
  readonly principal: Principal;
  readonly model: string | null;
  /** the request bytes as received (hashed at the end, only when a subscriber wants hashes) */
  readonly requestBody: Buffer;
  readonly requestBytes: number;
  /** the limits' hook for this request, if any */
  readonly meter?: RequestMeter;
  /** the conversation a response is attached to, already ownership-checked */
  readonly conversationId: string | null;
  /** false when upstream keeps no object to come back to (chat completions without store); a response's items are recorded either way */
  readonly recordOwnership: boolean;
  readonly ownership: Ownership;
  readonly events: ExchangeEvents;
}

type Usage = { inputTokens: number; outputTokens: number };

const USAGE_KEY = '"usage"';

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}

/**
 * Whether raw JSON text (or bytes) may hold a `"usage": {…}` member. Chat streams asked for
 * usage carry `"usage":null` in every chunk but the last; only an object is worth parsing for.
 * A key is always written with its quotes (inside a string they would be escaped), so a text
 * without this shape has no usage to read, while a false match only costs a parse.
 */
export function hasUsageObject(raw: string | Buffer): boolean {
  const code = typeof raw === 'string' ? (i: number) => raw.charCodeAt(i) : (i: number) => raw[i] ?? -1;
  const space = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
  for (let at = raw.indexOf(USAGE_KEY); at !== -1; at = raw.indexOf(USAGE_KEY, at + USAGE_KEY.length)) {
    let i = at + USAGE_KEY.length;
    while (space(code(i))) i++;
    if (code(i) !== 0x3a) continue; // ':'
    i++;
    while (space(code(i))) i++;
    if (code(i) === 0x7b) return true; // '{'
  }
  return false;
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
  return new ExchangeTracker(o);
}

/** One exchange's tracker (a class: a request allocates one object, not a closure per method). */
class ExchangeTracker implements Observer {
  private readonly o: TrackOptions;
  private objectId: string | null = null;
  private usage: Usage | null = null;
  /** a response's output items (null for other kinds): passed back later, they must be the user's */
  private readonly items: RevealedItems | null;
  /** the exchange's subscribers sign it: both bodies are hashed */
  readonly hashResponse: boolean;
  constructor(o: TrackOptions) {
    this.o = o;
    this.hashResponse = o.events.wantsHashes;
    this.items = o.kind === 'response' ? new RevealedItems(o.ownership, o.principal.userId, o.conversationId) : null;
  }

  /** Takes the first id seen; a promise only when its ownership must be recorded first. */
  private learnId(id: unknown): Promise<void> | undefined {
    if (this.objectId !== null || typeof id !== 'string') return undefined;
    this.objectId = id;
    const { o } = this;
    const ownedKind = o.kind === 'chat.completion' ? 'chat_completion' : o.kind === 'response' ? 'response' : null;
    if (ownedKind !== null && o.recordOwnership) return o.ownership.record(ownedKind, id, o.principal.userId, o.conversationId);
    return undefined;
  }

  onJson(body: Record<string, unknown>): Promise<void> | undefined {
    this.usage = readUsage(body.usage) ?? this.usage;
    if (this.items === null) return this.learnId(body.id);
    // A Responses object: its id (when stored) and its output items, in one statement.
    const objects = revealedObjects(body, 'response');
    if (this.objectId === null && typeof body.id === 'string') {
      this.objectId = body.id;
      if (this.o.recordOwnership) objects.unshift({ kind: 'response', id: body.id });
    }
    return objects.length === 0 ? undefined : this.o.ownership.recordAll(objects, this.o.principal.userId, this.o.conversationId);
  }

  onEvent(event: string | undefined, data: Record<string, unknown>): Promise<void> | undefined {
    const type = event ?? (typeof data.type === 'string' ? data.type : undefined);
    if (this.items !== null) {
      const response = data.response as Record<string, unknown> | undefined;
      let learned: Promise<void> | undefined;
      if (response && typeof response === 'object') {
        if (FINAL_RESPONSE_EVENTS.has(type ?? '')) this.usage = readUsage(response.usage) ?? this.usage;
        learned = this.learnId(response.id);
      }
      const revealed = this.items.onEvent(type, data);
      return learned && revealed ? learned.then(() => revealed) : learned ?? revealed;
    }
    this.usage = readUsage(data.usage) ?? this.usage;
    return this.learnId(data.id);
  }

  wantsChunk(chunk: Buffer): boolean {
    // After the id, only a chunk with usage in it (the last, or a final Responses event), or
    // one showing a response's output item.
    return this.objectId === null || hasUsageObject(chunk) || (this.items !== null && chunk.includes(ITEM_EVENT_MARK));
  }

  wants(event: string | undefined, data: string): boolean {
    // Until the id is known every event may carry it; after that only usage and items matter.
    if (this.objectId === null) return true;
    if (this.items !== null) return revealsItems(event, data) || (event === undefined && hasUsageObject(data));
    return hasUsageObject(data);
  }

  /** Settles the limits (metered users), then publishes the exchange; a promise only when either must be waited for. */
  onFinish(outcome: RelayOutcome): Promise<void> | undefined {
    // Items revealed by a stream cut before its final event are still being written.
    const writing = this.items?.settled()?.catch(() => {});
    if (writing) return writing.then(() => this.settleAndPublish(outcome));
    return this.settleAndPublish(outcome);
  }

  private settleAndPublish(outcome: RelayOutcome): Promise<void> | undefined {
    const { meter } = this.o;
    if (!meter) return this.publish(outcome);
    const usage = this.usage;
    return meter.settle({
      model: this.o.model, inputTokens: usage?.inputTokens ?? null, outputTokens: usage?.outputTokens ?? null,
      requestBytes: this.o.requestBytes, responseBytes: outcome.responseBytes,
    }).then(() => this.publish(outcome));
  }

  private publish(outcome: RelayOutcome): Promise<void> | undefined {
    const { o } = this;
    return o.events.emit({
      kind: o.kind,
      objectId: this.objectId,
      userId: o.principal.userId,
      apiKeyId: o.principal.keyId ?? null,
      model: o.model,
      requestSha256: this.hashResponse ? sha256(o.requestBody) : null,
      responseSha256: outcome.responseSha256,
      status: outcome.status,
      streamed: outcome.streamed,
      usage: this.usage,
      completed: outcome.completed,
      requestBytes: o.requestBytes,
      responseBytes: outcome.responseBytes,
      usageRecorded: o.meter?.recordsUsage ?? false,
    });
  }
}
