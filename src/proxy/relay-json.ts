// The non-streaming relay: upstream's answer is gathered (bounded), its parsed copy shown to
// the observer (ownership is recorded before the client can see an id), then sent whole with
// upstream's own content type (not one looked up again, nor a charset upstream did not send). The client leaving aborts the upstream request.
import type { RequestIo } from '../http/exchange.ts';
import { gatherAnswer, type UpstreamAnswer, type UpstreamRequest } from '../upstream/client.ts';
import type { Observer, RelayDeps } from './relay-types.ts';
import { contentTypeOf, isJsonType, parseObject, passBackHeaders, respondRefusal, sha256 } from './answer.ts';

/** Gathers upstream's whole answer; null when the client left first (upstream is then aborted). */
async function gather(res: RequestIo['res'], deps: RelayDeps, req: UpstreamRequest): Promise<UpstreamAnswer | null> {
  const { answer, call } = gatherAnswer((sink) => deps.upstream.open(req, sink));
  const onClose = () => { if (!res.writableFinished) call.abort(); };
  // 'close' comes once; `on` and the removal below spare once()'s wrapper on every request.
  res.on('close', onClose);
  try {
    return await answer;
  } finally {
    res.off('close', onClose);
  }
}

/** Relays a non-streaming exchange; the response goes out through Koa. */
export async function relayJson(io: RequestIo, deps: RelayDeps, req: UpstreamRequest, observer: Observer | undefined): Promise<void> {
  const answer = await gather(io.res, deps, req);
  if (answer === null) return; // the client left: nothing to answer, not an error
  const { status, headers, body } = answer;
  passBackHeaders(io, headers);
  if (status < 200 || status >= 300) {
    const noted = observer?.onRefused?.(status);
    if (noted) await noted;
    respondRefusal(io, status, headers, body);
    return;
  }
  const contentType = contentTypeOf(headers, 'application/json');
  if (observer?.onJson && isJsonType(contentType)) {
    const parsed = parseObject(body.toString('utf8'));
    const recorded = parsed && observer.onJson(parsed);
    if (recorded) await recorded;
  }
  const finished = observer?.onFinish?.({ status, responseSha256: observer.hashResponse ? sha256(body) : null, responseBytes: body.length, streamed: false, completed: true });
  if (finished) await finished;
  // Upstream's own content-type, as sent.
  io.send(status, contentType, body);
}
