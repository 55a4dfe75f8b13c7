// What the limits learn of an exchange and how they hear of it: shared by the proxy (which
// measures exchanges) and the limits (which charge them), so neither imports the other for it.

/** What an exchange cost, as the limits need it: token counts and sizes, never content. */
export interface ExchangeCost {
  /** as usage rows name it (listed by upstream, else `other`) */
  readonly model: string;
  /** null when upstream reported no usage */
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/** Per-request hook of the limits: settles the request when its exchange completes, before the last byte. */
export interface RequestMeter {
  /** settles the exchange; true when the meter accounted for its usage (the batched usage recorder then skips it) */
  settle(cost: ExchangeCost): Promise<boolean>;
  /**
   * A background response's id is known: its usage is charged when first seen (a GET, a resumed
   * stream), once. The proxy waits for this before the id reaches the client.
   */
  awaitUsage?(responseId: string): Promise<void>;
}
