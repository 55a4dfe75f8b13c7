// One streamed turn with the Responses API, attached to an upstream conversation. The exact
// request bytes sent and every response byte received are kept, so the reply's signature
// (sha256(request) ":" sha256(response)) can be checked later in the browser.
import { createSseParser } from './sse.ts';
import { ApiError, errorFromResponse } from './http.ts';
import { concatBytes } from '../lib/bytes.ts';
import type { InputPart } from './message-parts.ts';

export interface TurnResult {
  /** the upstream response id (what /v1/signature/{id} is keyed by), once known */
  responseId: string | null;
  text: string;
  requestBytes: Uint8Array;
  responseBytes: Uint8Array;
  /** the stream finished with response.completed (not stopped, not failed) */
  completed: boolean;
}

export interface TurnOptions {
  model: string;
  conversationId: string;
  /** the user message's content (text, inline images, inlined text files) */
  input: InputPart[];
  /** the account's custom instructions, when switched on */
  instructions?: string;
  signal: AbortSignal;
  onText(textSoFar: string): void;
  onResponseId?(id: string): void;
}

/** Streams one reply; on stop (abort) resolves with the partial text and completed=false. */
export async function streamTurn(opts: TurnOptions): Promise<TurnResult> {
  const requestBytes = new TextEncoder().encode(JSON.stringify({
    model: opts.model,
    conversation: opts.conversationId,
    ...(opts.instructions !== undefined ? { instructions: opts.instructions } : {}),
    input: [{ type: 'message', role: 'user', content: opts.input }],
    stream: true,
  }));
  const result: TurnResult = { responseId: null, text: '', requestBytes, responseBytes: new Uint8Array(), completed: false };
  const res = await fetch('/v1/responses', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: requestBytes as Uint8Array<ArrayBuffer>,
    signal: opts.signal,
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (!res.ok || !res.body) throw await errorFromResponse(res);

  const chunks: Uint8Array[] = [];
  const decoder = new TextDecoder();
  const parser = createSseParser();
  const reader = res.body.getReader();
  let streamError: ApiError | null = null;
  const handle = (events: ReturnType<typeof parser.push>) => {
    for (const ev of events) {
      if (ev.data === '[DONE]') continue;
      let payload: Record<string, unknown>;
      try { payload = JSON.parse(ev.data) as Record<string, unknown>; } catch { continue; }
      const type = (payload.type as string | undefined) ?? ev.event;
      if (type === 'response.created' || type === 'response.in_progress') {
        const id = (payload.response as { id?: string } | undefined)?.id;
        if (id && !result.responseId) { result.responseId = id; opts.onResponseId?.(id); }
      } else if (type === 'response.output_text.delta') {
        result.text += String(payload.delta ?? '');
        opts.onText(result.text);
      } else if (type === 'response.completed') {
        result.completed = true;
      } else if (type === 'error' || type === 'response.failed') {
        const err = (payload.error ?? (payload.response as { error?: unknown } | undefined)?.error ?? payload) as { message?: string; code?: string; type?: string };
        streamError = new ApiError(502, err.message ?? 'The model provider reported an error during the reply.', err.code ?? null, err.type ?? null, null);
      }
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      handle(parser.push(decoder.decode(value, { stream: true })));
    }
    handle(parser.push(decoder.decode()));
    handle(parser.flush());
  } catch (e) {
    if (!(e instanceof DOMException && e.name === 'AbortError')) throw e;
  } finally {
    result.responseBytes = concatBytes(chunks);
  }
  if (streamError) throw Object.assign(streamError, { partial: result });
  return result;
}
