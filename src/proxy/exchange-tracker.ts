// Follows one creation exchange (chat completion, response, embedding): records ownership of
// the id upstream assigns before the client can see it (and of a response's output items:
// revealed-items.ts), collects usage, and publishes the completed exchange when the relay
// finishes.
import type { Principal } from '../shared/principal.ts';
import type { Ownership } from '../conversations/ownership.ts';
import type { ExchangeEvents } from './exchange-events.ts';
import type { CompletedExchange } from '../shared/exchanges.ts';
import type { Observer, RelayOutcome } from './relay-types.ts';
import { sha256 } from './answer.ts';
import type { RequestMeter } from '../shared/metering.ts';
import { FINAL_RESPONSE_EVENTS, ITEM_EVENT_MARK, RevealedItems, revealedObjects, revealsItems } from './revealed-items.ts';
import { UPSTREAM_ID } from '../conversations/ownership.ts';
import type { Logger } from '../log.ts';
import { checkTokenCount, type CountProblem } from '../shared/token-counts.ts';

export interface TrackOptions {
  readonly kind: CompletedExchange['kind'];
  readonly principal: Principal;
  /** the model as usage rows name it (ModelNames.usageName): never the request's own string unless listed */
  readonly model: string;
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
  /** a background response (`background: true`): its usage may come only after this exchange */
  readonly background: boolean;
  /** where a refused usage count is reported (which field and why; never content) */
  readonly logger: Logger;
  readonly requestId: string;
}

type Usage = { inputTokens: number; outputTokens: number };

/** A usage count upstream reported that Cloister does not accept. */
export interface RefusedCount { readonly field: string; readonly problem: CountProblem }

/** What a `usage` object said: counts, a count refused, or nothing to read. */
export type UsageReading = { readonly usage: Usage } | { readonly refused: RefusedCount } | null;

const USAGE_KEY = '"usage"';

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

/** The first of `names` present in `o` (null counts as absent). */
function present(o: Record<string, unknown>, names: readonly string[]): string | null {
  for (const n of names) if (o[n] !== undefined && o[n] !== null) return n;
  return null;
}

/**
 * Usage from an OpenAI `usage` object of either API family (embeddings report input and a
 * total only). Every count is checked (checkTokenCount): one that is not a sane whole number
 * makes the whole reading refused, and the exchange is then charged as if upstream had reported
 * nothing — by size — rather than with a number that could break or poison the counters.
 */
export function readUsage(u: unknown): UsageReading {
  if (u === null || typeof u !== 'object' || Array.isArray(u)) return null;
  const o = u as Record<string, unknown>;
  const inputField = present(o, ['input_tokens', 'prompt_tokens']);
  if (inputField === null) return null;
  const input = checkTokenCount(o[inputField]);
  if (typeof input !== 'number') return { refused: { field: inputField, problem: input } };
  const outputField = present(o, ['output_tokens', 'completion_tokens']);
  if (outputField === null) return present(o, ['total_tokens']) === null ? null : { usage: { inputTokens: input, outputTokens: 0 } };
  const output = checkTokenCount(o[outputField]);
  if (typeof output !== 'number') return { refused: { field: outputField, problem: output } };
  return { usage: { inputTokens: input, outputTokens: output } };
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
  /** the last usage upstream reported was refused (the exchange counts as without usage) */
  private refused: RefusedCount | null = null;
  /** a response's output items (null for other kinds): passed back later, they must be the user's */
  private readonly items: RevealedItems | null;
  /** the exchange's subscribers sign it: both bodies are hashed */
  readonly hashResponse: boolean;
  constructor(o: TrackOptions) {
    this.o = o;
    this.hashResponse = o.events.wantsHashes;
    this.items = o.kind === 'response' ? new RevealedItems(o.ownership, o.principal.userId, o.conversationId) : null;
  }

  /**
   * Takes the first id seen; a promise only when something must be recorded before the id
   * reaches the client: its ownership, and for a background response the limits' link from the
   * response to the admission its usage will be charged to (so no GET can see it unlinked).
   */
  private learnId(id: unknown): Promise<void> | undefined {
    if (this.objectId !== null || typeof id !== 'string') return undefined;
    this.objectId = id;
    const { o } = this;
    const ownedKind = o.kind === 'chat.completion' ? 'chat_completion' : o.kind === 'response' ? 'response' : null;
    const owned = ownedKind !== null && o.recordOwnership ? o.ownership.record(ownedKind, id, o.principal.userId, o.conversationId) : undefined;
    return both(owned, this.linkBackground(id));
  }

  /** A background response's id: the limits wait for its usage (routable ids only: a GET could reach no other). */
  private linkBackground(id: string): Promise<void> | undefined {
    const { o } = this;
    return o.kind === 'response' && o.background && o.meter?.awaitUsage && UPSTREAM_ID.test(id) ? o.meter.awaitUsage(id) : undefined;
  }

  /** Takes a `usage` object: the latest reading wins, and a refused one leaves the usage unknown. */
  private read(u: unknown): void {
    const r = readUsage(u);
    if (r === null) return;
    if ('usage' in r) {
      this.usage = r.usage;
      this.refused = null;
    } else {
      this.usage = null;
      this.refused = r.refused;
    }
  }

  onJson(body: Record<string, unknown>): Promise<void> | undefined {
    this.read(body.usage);
    if (this.items === null) return this.learnId(body.id);
    // A Responses object: its id (when stored) and its output items, in one statement.
    const objects = revealedObjects(body, 'response');
    let linked: Promise<void> | undefined;
    if (this.objectId === null && typeof body.id === 'string') {
      this.objectId = body.id;
      if (this.o.recordOwnership) objects.unshift({ kind: 'response', id: body.id });
      linked = this.linkBackground(body.id);
    }
    return both(objects.length === 0 ? undefined : this.o.ownership.recordAll(objects, this.o.principal.userId, this.o.conversationId), linked);
  }

  onEvent(event: string | undefined, data: Record<string, unknown>): Promise<void> | undefined {
    const type = event ?? (typeof data.type === 'string' ? data.type : undefined);
    if (this.items !== null) {
      const response = data.response as Record<string, unknown> | undefined;
      let learned: Promise<void> | undefined;
      if (response && typeof response === 'object') {
        if (FINAL_RESPONSE_EVENTS.has(type ?? '')) this.read(response.usage);
        learned = this.learnId(response.id);
      }
      const revealed = this.items.onEvent(type, data);
      return learned && revealed ? learned.then(() => revealed) : learned ?? revealed;
    }
    this.read(data.usage);
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
    if (this.refused) {
      this.o.logger.warn({ event: 'usage.refused', request_id: this.o.requestId, kind: this.o.kind, field: this.refused.field, problem: this.refused.problem });
    }
    // Items revealed by a stream cut before its final event are still being written.
    const writing = this.items?.settled()?.catch(() => {});
    if (writing) return writing.then(() => this.settleAndPublish(outcome));
    return this.settleAndPublish(outcome);
  }

  private settleAndPublish(outcome: RelayOutcome): Promise<void> | undefined {
    const { meter } = this.o;
    if (!meter) return this.publish(outcome, false);
    const usage = this.usage;
    return meter.settle({
      model: this.o.model, inputTokens: usage?.inputTokens ?? null, outputTokens: usage?.outputTokens ?? null,
      requestBytes: this.o.requestBytes, responseBytes: outcome.responseBytes,
    }).then((recorded) => this.publish(outcome, recorded));
  }

  private publish(outcome: RelayOutcome, usageRecorded: boolean): Promise<void> {
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
      usageRecorded,
    });
  }
}

/** Both recordings, waited for together; undefined when there is nothing to wait for. */
function both(a: Promise<void> | undefined, b: Promise<void> | undefined): Promise<void> | undefined {
  return a && b ? Promise.all([a, b]).then(() => undefined) : a ?? b;
}
