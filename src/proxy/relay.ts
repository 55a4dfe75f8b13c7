// Relays one upstream exchange to the client. Request bytes go up unchanged; response bytes
// come back as they arrive (SSE chunk for chunk, never buffered), hashed as sent. A copy of
// the bytes is parsed only to learn ids and usage; `observe` may record ownership before the
// bytes that reveal an id reach the client. The JSON path is relay-json.ts, the SSE path
// relay-stream.ts, and what both do with an answer is answer.ts.
import type { RequestIo } from '../http/exchange.ts';
import type { UpstreamRequest } from '../upstream/client.ts';
import type { Observer, RelayDeps, RelayRequest } from './relay-types.ts';
import { relayJson } from './relay-json.ts';
import { relayStream } from './relay-stream.ts';

/** Sends `req` upstream and relays the answer on `io`. Resolves when the response is finished or aborted. */
export function relay(io: RequestIo, deps: RelayDeps, req: RelayRequest, options: { stream: boolean; observer?: Observer }): Promise<void> {
  // The client already left: nothing to ask upstream for.
  if (io.res.destroyed) return Promise.resolve();
  const clientKey = io.get('idempotency-key');
  // Proxy routes always have a principal; without one, the key is not forwarded at all.
  const idempotencyKey = clientKey !== '' && io.principal ? deps.idempotencyKeys(io.principal.userId, clientKey) : undefined;
  const full: UpstreamRequest = { ...req, requestId: io.requestId, clientHeaders: io.req.headers, idempotencyKey };
  return options.stream ? relayStream(io, deps, full, options.observer) : relayJson(io, deps, full, options.observer);
}
