// The most an inference request may cost in tokens, read from its own body: what the limits
// reserve against the budgets and tokens per minute at admission, before upstream says what it
// really cost. The input by size (about four bytes per token), the output by the request's cap
// (`max_output_tokens`, `max_completion_tokens`, `max_tokens`: the largest given, per choice
// when a chat completion asks for `n`), or the configured default when it states none.
import { checkTokenCount, estimateTokens } from '../shared/token-counts.ts';

const OUTPUT_CAPS = ['max_output_tokens', 'max_completion_tokens', 'max_tokens'] as const;
/** The most choices (`n`) one chat completion is reserved for; upstream refuses more anyway. */
const MAX_CHOICES = 128;

/** Tokens to reserve for one request of `kind` whose body is `json` (`requestBytes` long). */
export function reservationFor(kind: 'chat.completion' | 'response' | 'embedding', json: Record<string, unknown>, requestBytes: number, defaultOutputTokens: number): number {
  const input = Math.max(1, estimateTokens(requestBytes));
  if (kind === 'embedding') return input;
  let cap: number | null = null;
  for (const field of OUTPUT_CAPS) {
    // A cap that is not a sane count is upstream's to refuse; the default stands in for it here.
    const n = checkTokenCount(json[field]);
    if (typeof n === 'number') cap = Math.max(cap ?? 0, n);
  }
  const n = kind === 'chat.completion' ? checkTokenCount(json.n) : 1;
  const choices = typeof n === 'number' && n >= 1 ? Math.min(n, MAX_CHOICES) : 1;
  return input + (cap ?? defaultOutputTokens) * choices;
}
