// A minimal OpenAI-compatible upstream for the web app's end-to-end tests: models,
// conversations with items (create, update metadata, delete, delete an item), and streamed
// Responses whose text and pace the test controls. It records what it received, so a test can
// assert what reached the provider (instructions, an image's bytes, what a conversation holds
// after an edit). (The proxy's test/support fake upstream covers the API in depth.)
import { createServer, type Server } from 'node:http';

export interface FakeItem { id: string; type: 'message'; role: string; status: 'completed'; content: Array<{ type: string; text?: string; image_url?: string; detail?: string }> }
export interface FakeConversation { id: string; created_at: number; metadata: Record<string, string>; items: FakeItem[] }

export interface FakeUpstream {
  /** base URL including /v1, for OPENAI_BASE_URL */
  readonly baseUrl: string;
  reply: string[];
  pieceDelayMs: number;
  /** the models /v1/models lists */
  models: string[];
  /** when set, POST /v1/responses answers this status and OpenAI error code instead of streaming */
  failWith: { status: number; code: string; message: string } | null;
  /** how many streamed responses were cut off by the client */
  aborted: number;
  /** every POST /v1/responses body, parsed, in order */
  readonly responses: Array<Record<string, unknown>>;
  readonly conversations: Map<string, FakeConversation>;
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const conversations = new Map<string, FakeConversation>();
  let n = 0;
  const id = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(++n).toString(36).padStart(6, '0')}`;
  const fake: FakeUpstream = {
    baseUrl: '',
    reply: ['Hello', ' there', '!'],
    pieceDelayMs: 20,
    models: ['fake-model'],
    failWith: null,
    aborted: 0,
    responses: [],
    conversations,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> : {};
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, value: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
    const notFound = () => json(404, { error: { message: 'Not found', type: 'invalid_request_error', param: null, code: null } });
    const p = url.pathname;
    const show = (c: FakeConversation) => ({ id: c.id, object: 'conversation', created_at: c.created_at, metadata: c.metadata });
    if (p === '/v1/models') return json(200, { object: 'list', data: fake.models.map((m) => ({ id: m, object: 'model', created: 1_700_000_000, owned_by: 'fake' })) });
    if (p === '/v1/conversations' && req.method === 'POST') {
      const c = { id: id('conv'), created_at: Math.floor(Date.now() / 1000), metadata: (body.metadata ?? {}) as Record<string, string>, items: [] };
      conversations.set(c.id, c);
      return json(200, show(c));
    }
    const m = /^\/v1\/conversations\/([^/]+)(?:\/items(?:\/([^/]+))?)?$/.exec(p);
    if (m) {
      const c = conversations.get(m[1]!);
      if (!c) return notFound();
      if (p.endsWith('/items')) {
        const items = url.searchParams.get('order') === 'asc' ? c.items : [...c.items].reverse();
        return json(200, { object: 'list', data: items, first_id: items[0]?.id ?? null, last_id: items.at(-1)?.id ?? null, has_more: false });
      }
      if (m[2]) {
        const i = c.items.findIndex((it) => it.id === m[2]);
        if (i === -1) return notFound();
        if (req.method === 'DELETE') { c.items.splice(i, 1); return json(200, show(c)); }
        return json(200, c.items[i]);
      }
      if (req.method === 'DELETE') { conversations.delete(c.id); return json(200, { id: c.id, object: 'conversation.deleted', deleted: true }); }
      if (req.method === 'POST') { c.metadata = (body.metadata ?? {}) as Record<string, string>; return json(200, show(c)); }
      return json(200, show(c));
    }
    if (p === '/v1/responses' && req.method === 'POST') {
      fake.responses.push(body);
      if (fake.failWith) return json(fake.failWith.status, { error: { message: fake.failWith.message, type: 'server_error', param: null, code: fake.failWith.code } });
      const conv = conversations.get(String(body.conversation));
      const input = (body.input as Array<{ content: string | FakeItem['content'] }>)[0]!.content;
      const content = typeof input === 'string' ? [{ type: 'input_text', text: input }] : input;
      conv?.items.push({ id: id('msg'), type: 'message', role: 'user', status: 'completed', content });
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
      const item: FakeItem = { id: id('msg'), type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] };
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
