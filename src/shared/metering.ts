// What the limits learn of an exchange and how they hear of it: shared by the proxy (which
// measures exchanges) and the limits (which charge them), so neither imports the other for it.

/** What an exchange cost, as the limits need it: token counts and sizes, never content. */
export interface ExchangeCost {
  readonly model: string | null;
  /** null when upstream reported no usage */
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/** Per-request hook of the limits: settles the request when its exchange completes, before the last byte. */
export interface RequestMeter {
  /** the meter writes this request's usage itself, so the batched usage recorder skips it */
  readonly recordsUsage: boolean;
  settle(cost: ExchangeCost): Promise<void>;
}
