// A minimal OpenAI-compatible upstream for the web app's end-to-end tests: models,
// conversations with items, and streamed Responses whose text and pace the test controls.
// (The proxy's test/support fake upstream covers the API in depth; this one only needs to let
// a test put exact words — an XSS attempt — into a reply and to stream slowly enough to stop.)
import { createServer, type Server } from 'node:http';

export interface FakeUpstream {
  /** base URL including /v1, for OPENAI_BASE_URL */
  readonly baseUrl: string;
  reply: string[];
  pieceDelayMs: number;
  /** how many streamed responses were cut off by the client */
  aborted: number;
  close(): Promise<void>;
}

interface Item { id: string; type: 'message'; role: string; status: 'completed'; content: Array<{ type: string; text: string }> }

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const conversations = new Map<string, { id: string; created_at: number; metadata: Record<string, string>; items: Item[] }>();
  let n = 0;
  const id = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(++n).toString(36).padStart(6, '0')}`;
  const fake: FakeUpstream = {
    baseUrl: '',
    reply: ['Hello', ' there', '!'],
    pieceDelayMs: 20,
    aborted: 0,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> : {};
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, value: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
    const p = url.pathname;
    if (p === '/v1/models') return json(200, { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 1_700_000_000, owned_by: 'fake' }] });
    if (p === '/v1/conversations' && req.method === 'POST') {
      const c = { id: id('conv'), created_at: Math.floor(Date.now() / 1000), metadata: (body.metadata ?? {}) as Record<string, string>, items: [] };
      conversations.set(c.id, c);
      return json(200, { id: c.id, object: 'conversation', created_at: c.created_at, metadata: c.metadata });
    }
    const m = /^\/v1\/conversations\/([^/]+)(\/items)?$/.exec(p);
    if (m) {
      const c = conversations.get(m[1]!);
      if (!c) return json(404, { error: { message: 'Conversation not found', type: 'invalid_request_error', param: null, code: null } });
      if (m[2]) {
        const items = url.searchParams.get('order') === 'asc' ? c.items : [...c.items].reverse();
        return json(200, { object: 'list', data: items, first_id: items[0]?.id ?? null, last_id: items.at(-1)?.id ?? null, has_more: false });
      }
      return json(200, { id: c.id, object: 'conversation', created_at: c.created_at, metadata: c.metadata });
    }
    if (p === '/v1/responses' && req.method === 'POST') {
      const conv = conversations.get(String(body.conversation));
      const input = (body.input as Array<{ content: string }>)[0]!.content;
      conv?.items.push({ id: id('msg'), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: input }] });
      const rid = id('resp');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let seq = 0;
      const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`);
      const response = { id: rid, object: 'response', created_at: Math.floor(Date.now() / 1000), status: 'in_progress', model: body.model, conversation: { id: body.conversation }, output: [] };
      send('response.created', { response });
      let text = '';
      for (const piece of fake.reply) {
        await new Promise((r) => setTimeout(r, fake.pieceDelayMs));
        if (res.destroyed || req.socket.destroyed) { fake.aborted++; return; }
        text += piece;
        send('response.output_text.delta', { item_id: 'msg_out', output_index: 0, content_index: 0, delta: piece });
      }
      const item: Item = { id: id('msg'), type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] };
      conv?.items.push(item);
      send('response.completed', { response: { ...response, status: 'completed', output: [item], usage: { input_tokens: 5, output_tokens: fake.reply.length, total_tokens: 5 + fake.reply.length } } });
      res.end();
      return;
    }
    json(404, { error: { message: `Unknown ${req.method} ${p}`, type: 'invalid_request_error', param: null, code: null } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  (fake as { baseUrl: string }).baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  return fake;
}
