// A fake OpenAI-compatible upstream on loopback. It streams like the real API (chat chunks,
// Responses typed events), keeps conversations/responses/completions in memory, records every
// request's exact bytes, and misbehaves on request: the `model` (or `x-fake-behaviour`
// header) picks a behaviour:
//   "stall"        send headers and one chunk, then nothing until the client leaves
//   "hang"         answer nothing at all (not even headers) until the client leaves
//   "firehose"     stream FIREHOSE_BYTES of whole events as fast as the connection takes them,
//                  reporting its progress (`firehose`): whether a slow reader holds it back
//   "silent-first" wait `silentMs` before the first byte of the body
//   "reset"        send two chunks, then destroy the socket
//   "linger"       stream every event, then keep the response open until the client leaves
//   "error-429"    429 with retry-after and an OpenAI error body
//   "error-500"    500 with a non-OpenAI body
//   "error-500-json" 500 with an OpenAI-shaped body (a 5xx is never passed on, shaped or not)
//   "error-502-html" 502 with an HTML page, as a load balancer answers
//   "error-503-retry" 503 with retry-after and an OpenAI-shaped body
//   "error-400"    400 with an OpenAI-shaped body (passed through as it is)
//   "fragmented"   stream every third event whole and cut the others in two at an odd byte
//                  (inside a line, sometimes inside a UTF-8 character), as TCP may deliver them
// `refuseNext` answers that many next requests (any route) like "error-400" (for routes whose
// body names no model, e.g. a conversation update). `usage` replaces the usage object every chat completion and response reports (it may be
// absurd on purpose); `holdAnswers()` keeps creation requests (chat, responses) waiting until
// released. Background responses (`background: true`) are answered `queued` without usage and
// stay `in_progress` until `finishBackground(id)`; then GET /responses/{id} shows them
// `completed` with their usage, and `?stream=true` resumes their events (before that, the
// resumed stream carries only the events so far and ends).
// Base URL for Cloister: `${fake.url}/v1`.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** resolves when the client (Cloister) closed the connection before we ended the response */
  readonly clientClosed: Promise<void>;
  closedEarly: boolean;
}

export interface FakeUpstream {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** silence before the first body byte for "silent-first" */
  silentMs: number;
  /** text every assistant reply starts with (tests put canaries or markup here) */
  replyText: string;
  /** a "firehose" stream's progress: bytes written, and whether it is waiting for the connection to drain */
  readonly firehose: { readonly sent: number; readonly waiting: boolean; readonly done: boolean };
  /** the model ids GET /models lists */
  models: string[];
  /** the usage object to report (undefined: the defaults, 11+7 for chat and 5+9 for responses) */
  usage: unknown;
  /** this many next requests are refused like "error-400" */
  refuseNext: number;
  /** creation requests received from now on wait until the returned function is called */
  holdAnswers(): () => void;
  /** how many creation requests are waiting on holdAnswers() */
  readonly held: number;
  /** a background response (or every one) has finished: its usage is now visible */
  finishBackground(id?: string): void;
  reset(): void;
  close(): Promise<void>;
}

let seq = 0;
/** The models GET /models lists unless a test changes `models`. */
const DEFAULT_MODELS: readonly string[] = ['fake-model', 'org/fake-model-2'];
/** How much a "firehose" stream sends. */
export const FIREHOSE_BYTES = 48 * 1024 * 1024;

const nextId = (prefix: string) => `${prefix}_${Date.now().toString(36)}${(++seq).toString(36).padStart(6, '0')}`;

/** Starts the fake upstream on an ephemeral loopback port. */
export async function startFakeUpstream(): Promise<FakeUpstream> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const conversations = new Map<string, { id: string; items: Array<Record<string, unknown>>; metadata: unknown }>();
  const responses = new Map<string, { object: Record<string, unknown>; events: string[]; input: Array<Record<string, unknown>>; finished: boolean }>();
  const completions = new Map<string, Record<string, unknown>>();
  const state = {
    silentMs: 0, replyText: 'Hello from the fake upstream.', firehose: { sent: 0, waiting: false, done: false },
    usage: undefined as unknown, gate: null as Promise<void> | null, held: 0, models: [...DEFAULT_MODELS], refuseNext: 0,
  };
  /** Waits while answers are held. */
  const passGate = async () => {
    const gate = state.gate;
    if (!gate) return;
    state.held++;
    await gate;
    state.held--;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let closedEarly!: () => void;
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks),
        clientClosed: new Promise<void>((r) => { closedEarly = r; }),
        closedEarly: false,
      };
      res.on('close', () => {
        if (!res.writableFinished) {
          rec.closedEarly = true;
          closedEarly();
        }
      });
      requests.push(rec);
      handle(rec, res).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-ratelimit-remaining-requests': '99', 'openai-processing-ms': '7', ...headers });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: http.ServerResponse) => json(res, 404, { error: { message: 'No such object', type: 'invalid_request_error', param: null, code: 'not_found' } });
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function handle(rec: RecordedRequest, res: http.ServerResponse): Promise<void> {
    const u = new URL(rec.path, url);
    const parts = u.pathname.replace(/^\/v1\//, '').split('/').filter(Boolean);
    let body: Record<string, unknown> = {};
    if (rec.body.length > 0) {
      try { body = JSON.parse(rec.body.toString('utf8')) as Record<string, unknown>; } catch { return json(res, 400, { error: { message: 'bad json', type: 'invalid_request_error', param: null, code: null } }); }
    }
    let behaviour = String(rec.headers['x-fake-behaviour'] ?? body.model ?? '');
    if (state.refuseNext > 0) {
      state.refuseNext--;
      behaviour = 'error-400';
    }
    if (behaviour === 'error-429') return json(res, 429, { error: { message: 'Rate limit reached', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }, { 'retry-after': '7', 'x-ratelimit-reset-requests': '7s' });
    if (behaviour === 'error-500') { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('internal stack trace with secrets'); return; }
    if (behaviour === 'error-500-json') return json(res, 500, { error: { message: 'upstream internal detail', type: 'server_error', param: null, code: null } });
    if (behaviour === 'error-502-html') { res.writeHead(502, { 'content-type': 'text/html' }); res.end('<html><body><h1>502 Bad Gateway</h1></body></html>'); return; }
    if (behaviour === 'error-503-retry') return json(res, 503, { error: { message: 'overloaded', type: 'server_error', param: null, code: null } }, { 'retry-after': '3' });
    if (behaviour === 'error-400') return json(res, 400, { error: { message: 'Invalid value for temperature.', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } });
    if (behaviour === 'hang') return;
    if (behaviour === 'firehose') return firehose(res);

    const [head, id, sub, subId] = parts;
    if (head === 'models' && rec.method === 'GET') {
      const models = state.models.map((m, i) => ({ id: m, object: 'model', created: 1700000000 + i, owned_by: 'fake' }));
      if (!id) return json(res, 200, { object: 'list', data: models });
      const wanted = parts.slice(1).join('/');
      const m = models.find((x) => x.id === wanted);
      return m ? json(res, 200, m) : notFound(res);
    }
    if (head === 'attestation' && id === 'report') return attestationReport(u, res);
    if (head === 'embeddings' && rec.method === 'POST') {
      return json(res, 200, { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }], model: body.model, usage: { prompt_tokens: 4, total_tokens: 4 } });
    }
    if (head === 'chat' && id === 'completions') {
      if (rec.method === 'POST' && parts.length === 2) await passGate();
      return chat(rec, res, body, behaviour, parts.slice(2));
    }
    if (head === 'responses') {
      if (rec.method === 'POST' && !id) await passGate();
      return responsesRoute(rec, res, body, behaviour, id, sub);
    }
    if (head === 'conversations') return conversationsRoute(rec, res, body, id, sub, subId);
    return notFound(res);
  }

  async function firehose(res: http.ServerResponse): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const event = Buffer.from(`data: ${JSON.stringify({ id: 'chatcmpl_firehose', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'x'.repeat(65_400) } }] })}\n\n`);
    const progress = state.firehose;
    while (progress.sent < FIREHOSE_BYTES && !res.destroyed) {
      const flowing = res.write(event);
      progress.sent += event.length;
      if (!flowing) {
        progress.waiting = true;
        await new Promise<void>((r) => {
          const done = () => { res.off('drain', done); res.off('close', done); r(); };
          res.on('drain', done);
          res.on('close', done);
        });
        progress.waiting = false;
      }
    }
    res.end('data: [DONE]\n\n');
    progress.done = true;
  }

  async function sse(res: http.ServerResponse, frames: string[], behaviour: string): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-ratelimit-remaining-tokens': '1000' });
    res.flushHeaders();
    if (behaviour === 'silent-first') await wait(state.silentMs);
    for (let i = 0; i < frames.length; i++) {
      if (res.destroyed) return;
      if (behaviour === 'fragmented' && i % 3 !== 0) {
        const bytes = Buffer.from(frames[i]!);
        const cut = 1 + ((i * 7) % (bytes.length - 1));
        res.write(bytes.subarray(0, cut));
        await wait(2);
        res.write(bytes.subarray(cut));
        await wait(2);
        continue;
      }
      res.write(frames[i]);
      if (behaviour === 'stall' && i === 0) return; // never ends; the test waits for the client to leave
      if (behaviour === 'reset' && i === 1) { res.socket?.destroy(); return; }
      await wait(2);
    }
    if (behaviour === 'linger') return; // everything sent, never ended: the test waits for the client to leave
    res.end();
  }

  async function chat(_rec: RecordedRequest, res: http.ServerResponse, body: Record<string, unknown>, behaviour: string, rest: string[]) {
    if (rest.length > 0) {
      const c = completions.get(rest[0]!);
      if (!c) return notFound(res);
      if (_rec.method === 'DELETE') { completions.delete(rest[0]!); return json(res, 200, { id: rest[0], object: 'chat.completion.deleted', deleted: true }); }
      if (rest[1] === 'messages') return json(res, 200, { object: 'list', data: [{ id: `${rest[0]}-0`, role: 'user', content: 'stored' }] });
      if (_rec.method === 'POST') { c.metadata = body.metadata; return json(res, 200, c); }
      return json(res, 200, c);
    }
    const id = nextId('chatcmpl');
    const messages = (body.messages as Array<{ content?: unknown }> | undefined) ?? [];
    const last = String(messages.at(-1)?.content ?? '');
    const reply = `${state.replyText} You said: ${last}`;
    const usage = state.usage === undefined ? { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } : state.usage;
    const object = { id, object: 'chat.completion', created: 1700000000, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }], usage };
    if (body.store === true) completions.set(id, object);
    if (body.stream !== true) return json(res, 200, object);
    const words = reply.split(' ');
    const chunk = (delta: unknown, finish: string | null = null, u: unknown = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1700000000, model: body.model, choices: delta === null ? [] : [{ index: 0, delta, finish_reason: finish }], usage: u })}\n\n`;
    const frames = [chunk({ role: 'assistant', content: '' }), ...words.map((w, i) => chunk({ content: (i ? ' ' : '') + w })), chunk({}, 'stop')];
    if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) frames.push(chunk(null, null, usage));
    frames.push('data: [DONE]\n\n');
    return sse(res, frames, behaviour);
  }

  /**
   * A Responses stream as the real API sends it: created, in_progress, then per output item
   * output_item.added, (text deltas for a message), output_item.done, and completed.
   */
  function responseEvents(object: { output: Array<Record<string, unknown>> } & Record<string, unknown>, text: string): string[] {
    let n = 0;
    const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n++, ...data })}\n\n`;
    const inProgress = { ...object, status: 'in_progress', output: [], usage: null };
    const events = [ev('response.created', { response: inProgress }), ev('response.in_progress', { response: inProgress })];
    object.output.forEach((item, index) => {
      const started = item.type === 'message' ? { ...item, status: 'in_progress', content: [] } : item;
      events.push(ev('response.output_item.added', { output_index: index, item: started }));
      if (item.type === 'message') {
        text.split(' ').forEach((w, i) => events.push(ev('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta: (i ? ' ' : '') + w })));
      }
      events.push(ev('response.output_item.done', { output_index: index, item }));
    });
    events.push(ev('response.completed', { response: object }));
    return events;
  }

  /**
   * The output items of a response, each with an id of its own as upstream gives them: a
   * reasoning item when asked for reasoning, a code-interpreter call (in the container named,
   * or a new one) when the tool is offered, an MCP approval request when an MCP tool requires
   * approval, and the message (citing a container file when code ran).
   */
  function outputItems(body: Record<string, unknown>, text: string): Array<Record<string, unknown>> {
    const tools = Array.isArray(body.tools) ? body.tools as Array<Record<string, unknown>> : [];
    const items: Array<Record<string, unknown>> = [];
    if (body.reasoning) {
      const include = Array.isArray(body.include) ? body.include : [];
      items.push({ id: nextId('rs'), type: 'reasoning', summary: [{ type: 'summary_text', text: 'Thought about it.' }], ...(include.includes('reasoning.encrypted_content') ? { encrypted_content: 'gAAAAopaque' } : {}) });
    }
    const annotations: unknown[] = [];
    const interpreter = tools.find((t) => t.type === 'code_interpreter');
    if (interpreter) {
      const container = typeof interpreter.container === 'string' ? interpreter.container : nextId('cntr');
      items.push({ id: nextId('ci'), type: 'code_interpreter_call', status: 'completed', code: 'print(1)', container_id: container, outputs: [{ type: 'logs', logs: '1' }] });
      annotations.push({ type: 'container_file_citation', container_id: container, file_id: nextId('cfile'), filename: 'out.txt', start_index: 0, end_index: 1 });
    }
    const mcp = tools.find((t) => t.type === 'mcp' && t.require_approval === 'always');
    if (mcp) items.push({ id: nextId('mcpr'), type: 'mcp_approval_request', server_label: mcp.server_label, name: 'lookup', arguments: '{}' });
    items.push({ id: nextId('msg'), type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations }] });
    return items;
  }

  /** What a stored response was given as input, as input_items lists it (every item with an id). */
  function inputItems(body: Record<string, unknown>): Array<Record<string, unknown>> {
    const input = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : (body.input as Array<Record<string, unknown>> | undefined) ?? [];
    return input.map((i) => ({ type: 'message', ...i, id: typeof i.id === 'string' ? i.id : nextId('msg') }));
  }

  async function responsesRoute(rec: RecordedRequest, res: http.ServerResponse, body: Record<string, unknown>, behaviour: string, id?: string, sub?: string) {
    if (id) {
      const r = responses.get(id);
      if (!r) return notFound(res);
      if (rec.method === 'DELETE') { responses.delete(id); return json(res, 200, { id, object: 'response', deleted: true }); }
      if (sub === 'cancel') return json(res, 200, { ...r.object, status: 'cancelled' });
      if (sub === 'input_items') return json(res, 200, { object: 'list', data: r.input, first_id: r.input[0]?.id ?? null, last_id: r.input.at(-1)?.id ?? null, has_more: false });
      const u = new URL(rec.path, url);
      if (u.searchParams.get('stream') === 'true') {
        const after = Number(u.searchParams.get('starting_after') ?? '-1');
        const sofar = r.finished ? r.events : r.events.slice(0, 2);
        return sse(res, sofar.filter((_, i) => i > after), '');
      }
      return json(res, 200, r.finished ? r.object : { ...r.object, status: 'in_progress', output: [], usage: null });
    }
    const rid = nextId('resp');
    const input = typeof body.input === 'string' ? body.input : JSON.stringify(body.input ?? '');
    const text = `${state.replyText} You said: ${input}`;
    const conversation = typeof body.conversation === 'string' ? body.conversation : (body.conversation as { id?: string } | undefined)?.id;
    const object = {
      id: rid, object: 'response', created_at: 1700000000, status: 'completed', model: body.model,
      conversation: conversation ? { id: conversation } : null, previous_response_id: body.previous_response_id ?? null,
      output: outputItems(body, text),
      usage: state.usage === undefined ? { input_tokens: 5, output_tokens: 9, total_tokens: 14 } : state.usage,
    };
    const events = responseEvents(object, text);
    responses.set(rid, { object, events, input: inputItems(body), finished: body.background !== true });
    if (conversation) conversations.get(conversation)?.items.push({ id: nextId('msg'), type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
    // A queued background response shows no output yet: that comes with GET /responses/{id}.
    if (body.background === true && body.stream !== true) return json(res, 200, { ...object, status: 'queued', output: [], usage: null });
    if (body.stream !== true) return json(res, 200, object);
    return sse(res, events, behaviour);
  }

  function conversationsRoute(rec: RecordedRequest, res: http.ServerResponse, body: Record<string, unknown>, id?: string, sub?: string, itemId?: string) {
    if (!id) {
      if (rec.method !== 'POST') return notFound(res);
      const cid = nextId('conv');
      const items = ((body.items as Array<Record<string, unknown>> | undefined) ?? []).map((i) => ({ id: nextId('msg'), ...i }));
      conversations.set(cid, { id: cid, items, metadata: body.metadata ?? null });
      return json(res, 200, { id: cid, object: 'conversation', created_at: 1700000000, metadata: body.metadata ?? null });
    }
    const c = conversations.get(id);
    if (!c) return notFound(res);
    if (!sub) {
      if (rec.method === 'DELETE') { conversations.delete(id); return json(res, 200, { id, object: 'conversation.deleted', deleted: true }); }
      if (rec.method === 'POST') c.metadata = body.metadata ?? null;
      return json(res, 200, { id, object: 'conversation', created_at: 1700000000, metadata: c.metadata });
    }
    if (sub !== 'items') return notFound(res);
    if (!itemId) {
      if (rec.method === 'POST') {
        const added = ((body.items as Array<Record<string, unknown>> | undefined) ?? []).map((i) => ({ id: nextId('msg'), ...i }));
        c.items.push(...added);
        return json(res, 200, { object: 'list', data: added, first_id: added[0]?.id ?? null, last_id: added.at(-1)?.id ?? null, has_more: false });
      }
      return json(res, 200, { object: 'list', data: c.items, first_id: c.items[0]?.id ?? null, last_id: c.items.at(-1)?.id ?? null, has_more: false });
    }
    const idx = c.items.findIndex((i) => i.id === itemId);
    if (idx < 0) return notFound(res);
    if (rec.method === 'DELETE') { c.items.splice(idx, 1); return json(res, 200, { id, object: 'conversation', created_at: 1700000000, metadata: c.metadata }); }
    return json(res, 200, c.items[idx]);
  }

  return {
    url,
    requests,
    get silentMs() { return state.silentMs; },
    set silentMs(v: number) { state.silentMs = v; },
    get replyText() { return state.replyText; },
    set replyText(v: string) { state.replyText = v; },
    get firehose() { return state.firehose; },
    get models() { return state.models; },
    set models(v: string[]) { state.models = v; },
    get refuseNext() { return state.refuseNext; },
    set refuseNext(v: number) { state.refuseNext = v; },
    get usage() { return state.usage; },
    set usage(v: unknown) { state.usage = v; },
    holdAnswers() {
      let release!: () => void;
      state.gate = new Promise<void>((r) => { release = r; });
      return () => { state.gate = null; release(); };
    },
    get held() { return state.held; },
    finishBackground(id) {
      for (const [rid, r] of responses) if (id === undefined || rid === id) r.finished = true;
    },
    reset() {
      requests.length = 0; state.silentMs = 0; state.replyText = 'Hello from the fake upstream.'; state.firehose = { sent: 0, waiting: false, done: false };
      state.usage = undefined; state.gate = null; state.held = 0; state.models = [...DEFAULT_MODELS]; state.refuseNext = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Model attestation objects in NEAR AI Cloud's shape, one per signer (addresses 0x11…11 and 0x22…22). */
export const FAKE_MODEL_SIGNERS = ['0x' + '11'.repeat(20), '0x' + '22'.repeat(20)];

function fakeModelAttestation(signer: string, model: string, nonce: string, algo: string): string {
  // Deliberately odd formatting: Cloister must pass each object on byte for byte.
  return `{ "signing_address" : "${signer}", "signing_algo":"${algo}", "request_nonce":"${nonce}",  "model_name":${JSON.stringify(model)},
    "intel_quote":"00ff", "nvidia_payload":"{\\"nonce\\":\\"${nonce}\\"}", "event_log":[], "info":{"tcb_info":"{\\"app_compose\\":\\"{}\\"}"}, "x":1.50 }`;
}

/** GET /attestation/report: NEAR's shape by default; 'single' answers one attestation object, 'odd' a malformed one, 'broken' a 500. */
function attestationReport(u: URL, res: http.ServerResponse): void {
  const model = u.searchParams.get('model') ?? '';
  const nonce = u.searchParams.get('nonce') ?? '';
  const algo = u.searchParams.get('signing_algo') ?? 'ecdsa';
  if (model === 'broken') { res.writeHead(500).end('down'); return; }
  const wanted = u.searchParams.get('signing_address');
  const signers = FAKE_MODEL_SIGNERS.filter((a) => wanted === null || a === wanted.toLowerCase() || a.slice(2) === wanted.toLowerCase());
  res.writeHead(200, { 'content-type': 'application/json' });
  if (model === 'single') { res.end(fakeModelAttestation(FAKE_MODEL_SIGNERS[0]!, model, nonce, algo)); return; }
  if (model === 'odd') { res.end(`{"model_attestations":[${fakeModelAttestation(FAKE_MODEL_SIGNERS[0]!, model, nonce, algo)}, {"model":"x","quote":"00ff"}]}`); return; }
  res.end(`{ "gateway_attestation": {"signing_address":"0x${'33'.repeat(20)}"} , "model_attestations" : [ ${signers.map((a) => fakeModelAttestation(a, model, nonce, algo)).join(' ,\n ')} ] }`);
}
