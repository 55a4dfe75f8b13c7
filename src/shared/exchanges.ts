// A completed request/response exchange, as the proxy publishes it and its subscribers (the
// response signer, usage, the limits) read it: ids, counts, sizes and hashes, never content.
// Here, below both, so a subscriber such as attestation never imports the proxy.

export interface CompletedExchange {
  readonly kind: 'chat.completion' | 'response' | 'embedding';
  /** upstream object id (chatcmpl-…, resp_…); null when upstream returned none */
  readonly objectId: string | null;
  readonly userId: string;
  readonly apiKeyId: string | null;
  /** the model as usage rows name it: one upstream lists (or the operator allows), else `other` (model-names.ts) */
  readonly model: string;
  /** sha256 hex of the request body bytes as received (null unless a subscriber asked for hashes) */
  readonly requestSha256: string | null;
  /** sha256 hex of every response body byte as sent to the client (likewise) */
  readonly responseSha256: string | null;
  readonly status: number;
  readonly streamed: boolean;
  /** token usage when upstream reported it; null = unknown */
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number } | null;
  /** false when the client went away or upstream failed mid-stream */
  readonly completed: boolean;
  /** bytes received from the client and sent back to it */
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** the limits already wrote this exchange's usage (a metered user); the usage recorder skips it */
  readonly usageRecorded: boolean;
}

export type ExchangeSubscriber = (e: CompletedExchange) => Promise<void> | void;
