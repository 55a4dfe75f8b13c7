// x-ratelimit-* headers in OpenAI's format, the durations they carry ("20ms", "6s", "1m30s"),
// and retry-after.

/** A duration as OpenAI writes it in x-ratelimit-reset-*. */
export function formatResetDuration(ms: number): string {
  const total = Math.max(0, ms);
  if (total < 1000) return `${Math.ceil(total)}ms`;
  const minutes = Math.floor(total / 60_000);
  const seconds = Math.round((total - minutes * 60_000) / 10) / 100;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

export interface LimitState { readonly limit: number; readonly remaining: number; readonly resetMs: number }

/** The headers for one dimension ('requests' or 'tokens'), or none when it is unlimited. */
export function rateLimitHeaders(kind: 'requests' | 'tokens', state: LimitState | null): Record<string, string> {
  if (state === null) return {};
  return {
    [`x-ratelimit-limit-${kind}`]: String(state.limit),
    [`x-ratelimit-remaining-${kind}`]: String(Math.max(0, state.remaining)),
    [`x-ratelimit-reset-${kind}`]: formatResetDuration(state.resetMs),
  };
}

/** The retry-after header for a wait of `ms`: whole seconds, at least 1. */
export function retryAfter(ms: number): { 'retry-after': string } {
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) };
}
