// What the relay takes and tells: its dependencies, its observer (ownership, usage, hashes)
// and its outcome. Apart from relay.ts, so the JSON and SSE relays need not import their caller.
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import type { UpstreamClient, UpstreamRequest } from '../upstream/client.ts';
import type { IdempotencyKeys } from './idempotency-key.ts';

/** What the relay learned from the upstream answer. */
export interface RelayOutcome {
  readonly status: number;
  /** sha256 hex of every response byte sent; null when the observer did not ask (hashResponse) */
  readonly responseSha256: string | null;
  /** bytes of the response body sent to the client */
  readonly responseBytes: number;
  readonly streamed: boolean;
  /** the client got the whole answer (no abort, no upstream failure) */
  readonly completed: boolean;
}

/** Sees parsed copies of what upstream sent, before the bytes carrying them are sent on. */
export interface Observer {
  /** the sha256 of the response bytes is wanted (RelayOutcome.responseSha256); otherwise nothing is hashed */
  readonly hashResponse?: boolean;
  /** a 2xx JSON body */
  onJson?(body: Record<string, unknown>): Promise<void> | void;
  /** one SSE event's parsed `data` (non-JSON data is skipped) */
  onEvent?(event: string | undefined, data: Record<string, unknown>): Promise<void> | void;
  /**
   * Whether onEvent needs this event, from its raw `data` text. Most events of a long stream
   * are token deltas that carry nothing the observer still wants; they are then not parsed.
   * Absent: every event is parsed.
   */
  wants?(event: string | undefined, data: string): boolean;
  /**
   * Whether a chunk of whole SSE events may hold anything onEvent still needs (checked on the
   * raw bytes). A chunk it declines is relayed without being decoded or parsed at all.
   */
  wantsChunk?(chunk: Buffer): boolean;
  /** a non-streamed answer upstream refused (non-2xx), before the refusal is passed on (a promise: wait for it) */
  onRefused?(status: number): Promise<void> | void;
  /** last step before the response ends, with the final hash: emit the exchange here (a promise: wait for it) */
  onFinish?(outcome: RelayOutcome): Promise<void> | void;
}

export interface RelayDeps {
  readonly upstream: UpstreamClient;
  /** the stream heartbeat's timer */
  readonly clock: Clock;
  readonly heartbeatMs: number;
  readonly logger: Logger;
  readonly idempotencyKeys: IdempotencyKeys;
}

/** One relay's request, before the relay adds the request id and the client's headers. */
export type RelayRequest = Omit<UpstreamRequest, 'requestId' | 'clientHeaders' | 'idempotencyKey'>;
