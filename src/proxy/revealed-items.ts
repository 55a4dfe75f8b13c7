// Records the items (and the containers and files they name) that upstream shows a user, so
// that the user may pass them back — the SDK's multi-turn pattern `input: [...prior,
// ...response.output]` — while nobody else can. The same shapes that check a request body
// find them (referencesRevealed), so what a later check asks about is what was recorded.
//
// In a stream, items show up in `response.output_item.added`/`.done` events; their rows are
// written in the background while the stream goes on (one statement at a time, each taking
// whatever arrived meanwhile), and the final event (`response.completed`, …), which holds the
// whole output, goes to the client only once everything is written. So the record is complete
// before the response is, and usually without a wait of its own.
import type { Ownership, RevealedObject } from '../conversations/ownership.ts';
import type { Observer } from './relay-types.ts';
import { referencesRevealed } from './reference-walk.ts';
import { ITEM_SHAPE, ITEMS } from './response-shapes.ts';

/** Responses stream events whose `response` is final (and holds the whole output). */
export const FINAL_RESPONSE_EVENTS: ReadonlySet<string> = new Set(['response.completed', 'response.incomplete', 'response.failed']);
/** Responses stream events that carry one output item (`item`). */
const ITEM_EVENTS: ReadonlySet<string> = new Set(['response.output_item.added', 'response.output_item.done']);
/** In raw event text, the mark of an item event (whose `item` is wanted). */
export const ITEM_EVENT_MARK = 'response.output_item.';

/** Whether a Responses stream event (its name, else its raw data) may reveal items. */
export function revealsItems(event: string | undefined, data: string): boolean {
  if (event !== undefined) return ITEM_EVENTS.has(event) || FINAL_RESPONSE_EVENTS.has(event);
  return data.includes(ITEM_EVENT_MARK) || data.includes('"response.completed"') || data.includes('"response.incomplete"') || data.includes('"response.failed"');
}

/** The references a list of items (or one item) reveals, of the kinds Cloister records. */
function revealedIn(value: unknown, one: boolean): RevealedObject[] {
  const found = referencesRevealed(value, one ? ITEM_SHAPE : ITEMS);
  // Items name only items, containers and files; nothing else is recorded from them.
  return found.filter((r) => r.kind === 'item' || r.kind === 'container' || r.kind === 'file');
}

/** The objects a Responses object (or a list of items, or one item) reveals. */
export function revealedObjects(body: Record<string, unknown>, source: 'response' | 'list' | 'item'): RevealedObject[] {
  if (source === 'item') return revealedIn(body, true);
  const items = source === 'response' ? body.output : body.data;
  return Array.isArray(items) && items.length > 0 ? revealedIn(items, false) : [];
}

/** Batches one exchange's revealed objects: written in the background, waited for at the end. */
export class RevealedItems {
  private readonly ownership: Ownership;
  private readonly userId: string;
  private readonly conversationId: string | null;
  private readonly seen = new Set<string>();
  private queued: RevealedObject[] = [];
  private writing: Promise<void> | null = null;
  private failure: unknown = null;
  constructor(ownership: Ownership, userId: string, conversationId: string | null) {
    this.ownership = ownership;
    this.userId = userId;
    this.conversationId = conversationId;
  }

  /** Queues what is new in `objects` and starts writing it unless a write is running. */
  add(objects: readonly RevealedObject[]): void {
    for (const o of objects) {
      if (this.seen.has(o.id)) continue;
      this.seen.add(o.id);
      this.queued.push(o);
    }
    this.pump();
  }

  private pump(): void {
    if (this.writing !== null || this.queued.length === 0 || this.failure !== null) return;
    const batch = this.queued;
    this.queued = [];
    this.writing = this.ownership.recordAll(batch, this.userId, this.conversationId).then(() => {
      this.writing = null;
      this.pump();
    }, (e: unknown) => {
      this.writing = null;
      this.failure = e;
    });
  }

  /** Resolves once everything queued so far is written (rejects if a write failed); undefined when nothing is pending. */
  settled(): Promise<void> | undefined {
    if (this.failure !== null) return Promise.reject(this.failure);
    this.pump();
    const writing = this.writing;
    return writing === null ? undefined : writing.then(() => this.settled());
  }

  /**
   * One Responses stream event: an item event queues its item (no wait); a final event queues
   * the whole output and returns the wait for everything to be written.
   */
  onEvent(type: string | undefined, data: Record<string, unknown>): Promise<void> | undefined {
    if (type === undefined) return undefined;
    if (ITEM_EVENTS.has(type)) {
      const item = data.item;
      if (item !== null && typeof item === 'object') this.add(revealedIn(item, true));
      return undefined;
    }
    if (!FINAL_RESPONSE_EVENTS.has(type)) return undefined;
    const response = data.response;
    if (response !== null && typeof response === 'object') this.add(revealedObjects(response as Record<string, unknown>, 'response'));
    return this.settled();
  }
}

/**
 * The observer for an answer that shows the caller items of an object they own: a Responses
 * object (JSON or a resumed stream), a list of items, or one item. Ownership rows are written
 * before the bytes that carry them are sent.
 */
export function revealedItemsObserver(ownership: Ownership, userId: string, source: 'response' | 'list' | 'item', conversationId: string | null = null): Observer {
  const items = new RevealedItems(ownership, userId, conversationId);
  return {
    onJson(body) {
      items.add(revealedObjects(body, source));
      return items.settled();
    },
    onEvent(event, data) {
      return items.onEvent(event ?? (typeof data.type === 'string' ? data.type : undefined), data);
    },
    wants: revealsItems,
    onFinish() {
      // A stream cut before its final event: what was revealed is still written.
      return items.settled()?.catch(() => {});
    },
  };
}
