// A stand-in for Cloister's API (the subset the web app calls), serving the built dist/web.
// Used only to look at and exercise the UI in isolation (screens, markdown safety, stop,
// error display); the end-to-end browser tests run against the real app.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join, extname } from 'node:path';

export interface MockApi {
  readonly url: string;
  /** what the next streamed reply says, in pieces */
  reply: string[];
  /** delay between pieces (ms) */
  pieceDelayMs: number;
  /** when set, /v1/responses answers this status with an OpenAI error */
  failWith: { status: number; code: string; message: string; retryAfter?: string } | null;
  readonly received: Array<{ method: string; path: string; body: string }>;
  /** what /v1/config says about attachments (0: off) */
  attachmentMaxBytes: number;
  /** the account's settings as last PUT */
  settings: Record<string, unknown>;
  /** adds a conversation created `daysAgo` days before now (for the list's date groups) */
  seed(title: string, daysAgo: number, metadata?: Record<string, string>): string;
  close(): Promise<void>;
}

type MockItem = { id: string; type: 'message'; role: string; content: Array<{ type: string; text?: string; image_url?: string }> };

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml' };
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export async function startMockApi(webRoot: string): Promise<MockApi> {
  const conversations: Array<{ id: string; created_at: number; metadata: Record<string, string>; items: MockItem[] }> = [];
  let n = 0;
  const mock: MockApi = {
    url: '',
    reply: ['Hello', ' from', ' the', ' mock', '.'],
    pieceDelayMs: 30,
    failWith: null,
    received: [],
    settings: {},
    attachmentMaxBytes: 10 * 1024 * 1024,
    seed(title, daysAgo, metadata = {}) {
      const c = { id: `conv_${++n}`, created_at: Math.floor(Date.now() / 1000 - daysAgo * 86400), metadata: { title, ...metadata }, items: [] };
      conversations.push(c);
      conversations.sort((a, b) => b.created_at - a.created_at);
      return c.id;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-security-policy': "default-src 'none'" });
    res.end(JSON.stringify(body));
  };
  const signedIn = (req: IncomingMessage) => /(^|;\s*)mock_session=1/.test(req.headers.cookie ?? '');

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    mock.received.push({ method: req.method ?? '', path: url.pathname, body });
    const p = url.pathname;
    if (!p.startsWith('/v1/')) {
      const file = p.startsWith('/assets/') ? join(webRoot, p) : join(webRoot, 'index.html');
      try {
        const bytes = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP });
        res.end(bytes);
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    if (p === '/v1/auth/providers') return json(res, 200, { google: true, github: true, passkey: true, password: false });
    if (p.startsWith('/v1/auth/passkey/') && p.endsWith('/options')) {
      const challenge = Buffer.from('mock-challenge-0123456789abcdef').toString('base64url');
      const rpId = (req.headers.host ?? 'localhost').replace(/:\d+$/, '');
      if (p.includes('register')) return json(res, 200, { challenge, rp: { name: 'Cloister', id: rpId }, user: { id: Buffer.from('user-1').toString('base64url'), name: 'mock', displayName: 'Mock' }, pubKeyCredParams: [{ type: 'public-key', alg: -7 }], authenticatorSelection: { residentKey: 'required', userVerification: 'required' }, timeout: 60000, attestation: 'none' });
      return json(res, 200, { challenge, rpId, userVerification: 'required', timeout: 60000 });
    }
    if (p.startsWith('/v1/auth/passkey/')) {
      res.setHeader('set-cookie', 'mock_session=1; Path=/; HttpOnly; SameSite=Lax');
      return json(res, 200, { ok: true });
    }
    if (p === '/v1/auth/logout') {
      res.setHeader('set-cookie', 'mock_session=; Path=/; Max-Age=0');
      return json(res, 200, { ok: true });
    }
    if (p === '/v1/config') return json(res, 200, { object: 'cloister.config', default_model: 'mock-model', attachments: { max_bytes: mock.attachmentMaxBytes, text_max_bytes: 1024 * 1024, image_types: ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] } });
    if (p === '/v1/attestation/report') return json(res, 200, { gateway_attestation: { signing_address: '0x' + 'ab'.repeat(20), signing_algo: 'ecdsa', request_nonce: url.searchParams.get('nonce'), report_data: '00', simulated: true, build: { version: '0.1.0', git_commit: 'unknown' }, info: { compose_hash: 'cd'.repeat(32) } }, model_attestations: [] });
    if (!signedIn(req)) return json(res, 401, { error: { message: 'Sign in.', type: 'invalid_request_error', param: null, code: 'unauthenticated' } });
    if (p === '/v1/users/me' && req.method === 'GET') return json(res, 200, { object: 'user', id: 'user_1', email: 'mock@example.com', email_verified: true, display_name: 'Mock User', created_at: 1_760_000_000 });
    if (p === '/v1/users/me/api-keys' && req.method === 'POST') return json(res, 200, { id: 'key_2', name: 'new', prefix: 'ck_new000', key: 'ck_new000_this-is-shown-once' });
    if (p === '/v1/users/me/api-keys') return json(res, 200, { data: [{ id: 'key_1', name: 'laptop', prefix: 'ck_abc123', created_at: 1_760_000_000, last_used_at: null }] });
    if (p === '/v1/users/me/passkeys') return json(res, 200, { data: [{ id: 'pk_1', name: 'This laptop', created_at: 1_760_000_000, last_used_at: 1_760_100_000, backed_up: true }] });
    if (p === '/v1/users/me/sessions') return json(res, 200, { data: [{ id: 's_1', created_at: 1_760_000_000, last_seen_at: 1_760_100_000, user_agent: 'Chromium on Linux', current: true }] });
    if (p === '/v1/users/me/settings' && req.method === 'PUT') { mock.settings = JSON.parse(body) as Record<string, unknown>; return json(res, 200, mock.settings); }
    if (p === '/v1/users/me/settings') return json(res, 200, mock.settings);
    if (p === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: 'mock-model', object: 'model', owned_by: 'mock' }, { id: 'other-model', object: 'model', owned_by: 'mock' }] });
    if (p === '/v1/conversations' && req.method === 'POST') {
      const c = { id: `conv_${++n}`, created_at: Math.floor(Date.now() / 1000), metadata: (JSON.parse(body || '{}') as { metadata?: Record<string, string> }).metadata ?? {}, items: [] };
      conversations.unshift(c);
      return json(res, 200, { id: c.id, object: 'conversation', created_at: c.created_at, metadata: c.metadata });
    }
    if (p === '/v1/conversations') return json(res, 200, { object: 'list', data: conversations.map((c) => ({ id: c.id, object: 'conversation', created_at: c.created_at, metadata: c.metadata })), has_more: false });
    const conv = /^\/v1\/conversations\/([^/]+)(\/items)?(?:\/([^/]+))?$/.exec(p);
    if (conv) {
      const c = conversations.find((x) => x.id === conv[1]);
      if (!c) return json(res, 404, { error: { message: 'Not found.', type: 'invalid_request_error', param: null, code: 'not_found' } });
      if (conv[3] && req.method === 'DELETE') { c.items = c.items.filter((it) => it.id !== conv[3]); return json(res, 200, { id: c.id, object: 'conversation' }); }
      if (conv[2]) return json(res, 200, { object: 'list', data: c.items, has_more: false });
      if (req.method === 'DELETE') { conversations.splice(conversations.indexOf(c), 1); return json(res, 200, { id: c.id, object: 'conversation.deleted', deleted: true }); }
      if (req.method === 'POST') c.metadata = (JSON.parse(body) as { metadata: Record<string, string> }).metadata;
      return json(res, 200, { id: c.id, object: 'conversation', created_at: c.created_at, metadata: c.metadata });
    }
    if (p === '/v1/responses' && req.method === 'POST') {
      if (mock.failWith) {
        if (mock.failWith.retryAfter) res.setHeader('retry-after', mock.failWith.retryAfter);
        return json(res, mock.failWith.status, { error: { message: mock.failWith.message, type: 'rate_limit_error', param: null, code: mock.failWith.code } });
      }
      const reqBody = JSON.parse(body) as { conversation: string; input: Array<{ content: MockItem['content'] }> };
      const c = conversations.find((x) => x.id === reqBody.conversation)!;
      c.items.push({ id: `msg_${++n}`, type: 'message', role: 'user', content: reqBody.input[0]!.content });
      const id = `resp_${++n}`;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const send = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      send('response.created', { response: { id, status: 'in_progress' } });
      let text = '';
      for (const piece of mock.reply) {
        if (res.destroyed) return;
        await new Promise((r) => setTimeout(r, mock.pieceDelayMs));
        text += piece;
        send('response.output_text.delta', { delta: piece });
      }
      c.items.push({ id: `msg_${++n}`, type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
      send('response.completed', { response: { id, status: 'completed' } });
      res.end();
      return;
    }
    if (p.startsWith('/v1/signature/')) return json(res, 200, { text: 'x:y', signature: '0x00', signing_address: '0x' + 'ab'.repeat(20), signing_algo: 'ecdsa' });
    json(res, 404, { error: { message: 'Unknown.', type: 'invalid_request_error', param: null, code: 'not_found' } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  (mock as { url: string }).url = `http://127.0.0.1:${addr.port}`;
  return mock;
}
