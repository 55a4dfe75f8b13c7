// The bench's fake upstream, in its own process so it never shares an event loop with a proxy
// or the load generator. Answers at once; "hold" streams send one chunk and stay open until the
// parent sends 'release'; "long" streams send LONG_CHUNKS token chunks, one per event-loop turn
// as a model emits them, then usage (argv[2], default 200). Prints {"url"} on its first stdout line.
// Every answer carries its own id, as real ones do: with one id for all, each reply would
// rewrite the same signature row (serialising on its lock) and measure nothing real.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let answers = 0;
const nextId = () => `chatcmpl_bench${(answers++).toString(36)}`;
const [COMPLETION_HEAD, COMPLETION_TAIL] = JSON.stringify({ id: '\u0000', object: 'chat.completion', created: 1, model: 'bench', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }).split('\\u0000');
const COMPLETION = (id: string) => `${COMPLETION_HEAD}${id}${COMPLETION_TAIL}`;
const CHUNK = (id: string, c: string) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: c } }] })}\n\n`;

const LONG_CHUNKS = Number(process.argv[2] ?? 200);
const LONG_CHUNK = (id: string, i: number) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'long', choices: [{ index: 0, delta: { content: ` token${i}` }, finish_reason: null }] })}\n\n`;
const LONG_END = (id: string) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'long', choices: [], usage: { prompt_tokens: 3, completion_tokens: LONG_CHUNKS, total_tokens: LONG_CHUNKS + 3 } })}\n\ndata: [DONE]\n\n`;

/** Writes a long stream a chunk per turn of the event loop (separate writes, as tokens arrive). */
function longStream(res: http.ServerResponse, id: string, i = 0): void {
  if (res.destroyed) return;
  if (i === LONG_CHUNKS) { res.end(LONG_END(id)); return; }
  res.write(LONG_CHUNK(id, i));
  setImmediate(longStream, res, id, i + 1);
}

const held = new Set<http.ServerResponse>();
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    if (req.url?.endsWith('/models')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"object":"list","data":[]}'); return; }
    if (body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const id = nextId();
      if (body.includes('"long"')) { longStream(res, id); return; }
      res.write(CHUNK(id, 'o'));
      if (body.includes('"hold"')) { held.add(res); return; }
      res.write(CHUNK(id, 'k'));
      res.end('data: [DONE]\n\n');
      return;
    }
    const completion = COMPLETION(nextId());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(completion) });
    res.end(completion);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('message', (m) => {
  if (m === 'release') {
    for (const r of held) r.end('data: [DONE]\n\n');
    held.clear();
    process.send?.('released');
  }
});
process.on('disconnect', () => { server.closeAllConnections(); server.close(); });
