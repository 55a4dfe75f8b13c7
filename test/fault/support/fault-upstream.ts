// A small OpenAI-compatible upstream that fails on purpose, for the fault suite. The request's
// `model` names the fault and the phase it strikes in: `fault:<fault>:<phase>`, or `ok`.
//   faults:  reset (the socket destroyed), stall (nothing more is sent, the socket stays open),
//            garbage (bytes that are not what was promised), 429 and 5xx (upstream refuses)
//   phases:  before-headers (nothing sent yet), mid-body (headers and part of the body sent:
//            half a JSON object, or half of the first SSE event), mid-stream (whole SSE events
//            sent, then the fault: streams only)
// For 429/5xx, "mid-body" is the error status with its body cut short, and "mid-stream" is an
// upstream `error` event after whole events, as the OpenAI API sends one. Ids are fresh per
// request; `sentIds` lists those that left this upstream (an id the client sees must be owned).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export const FAULTS = ['reset', 'stall', 'garbage', '429', '5xx'] as const;
export const PHASES = ['before-headers', 'mid-body', 'mid-stream'] as const;
export type Fault = typeof FAULTS[number];
export type Phase = typeof PHASES[number];

/** The two creation routes the faults strike on. */
export const CREATION_ROUTES = ['/v1/chat/completions', '/v1/responses'] as const;

/** A creation request's body for `route`: stored (a chat completion only when asked), so its id is owned. */
export function creationBody(route: string, model: string, stream: boolean): string {
  return JSON.stringify(route === '/v1/responses' ? { model, stream, input: 'hello' } : { model, stream, store: true, messages: [{ role: 'user', content: 'hello' }] });
}

export interface FaultRequest {
  readonly path: string;
  readonly model: string;
  /** resolves when Cloister closed the connection before this upstream ended its answer */
  readonly clientClosed: Promise<void>;
  closedEarly: boolean;
  /** what this upstream had sent when it stopped or struck */
  reached: 'received' | 'headers' | 'partial' | 'events' | 'done';
}

export interface FaultUpstream {
  readonly url: string;
  readonly requests: FaultRequest[];
  reset(): void;
  close(): Promise<void>;
}

let seq = 0;
const nextId = (prefix: string) => `${prefix}_fault${Date.now().toString(36)}${(++seq).toString(36)}`;

/** The answer upstream would give in full: a JSON object, or the SSE frames of its stream. */
function answer(path: string, stream: boolean): { json: Record<string, unknown>; frames: string[] } {
  if (path.endsWith('/chat/completions')) {
    const id = nextId('chatcmpl');
    const json = { id, object: 'chat.completion', created: 1700000000, model: 'ok', choices: [{ index: 0, message: { role: 'assistant', content: 'A fine answer.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 } };
    const chunk = (delta: unknown, finish: string | null = null) => `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1700000000, model: 'ok', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const frames = stream ? [chunk({ role: 'assistant', content: '' }), chunk({ content: 'A fine' }), chunk({ content: ' answer.' }), chunk({}, 'stop'), 'data: [DONE]\n\n'] : [];
    return { json, frames };
  }
  const id = nextId('resp');
  const msg = nextId('msg');
  const json = { id, object: 'response', created_at: 1700000000, status: 'completed', model: 'ok', output: [{ id: msg, type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'A fine answer.', annotations: [] }] }], usage: { input_tokens: 3, output_tokens: 3, total_tokens: 6 } };
  let n = 0;
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n++, ...data })}\n\n`;
  const started = { ...json, status: 'in_progress', output: [], usage: null };
  const frames = stream ? [
    ev('response.created', { response: started }), ev('response.in_progress', { response: started }),
    ev('response.output_text.delta', { item_id: msg, output_index: 0, content_index: 0, delta: 'A fine answer.' }),
    ev('response.completed', { response: json }),
  ] : [];
  return { json, frames };
}

const ERROR_BODY: Record<'429' | '5xx', { status: number; body: string; headers: Record<string, string> }> = {
  '429': { status: 429, body: JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }), headers: { 'retry-after': '7' } },
  '5xx': { status: 500, body: JSON.stringify({ error: { message: 'upstream internal detail', type: 'server_error', param: null, code: null } }), headers: {} },
};
/** Bytes that are neither HTTP nor JSON nor SSE. */
const GARBAGE = Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a, 0x7b, 0x7b, 0x0d, 0x0a, 0x0d, 0x0a, 0xc3, 0x28]);

/** Starts the faulty upstream on an ephemeral loopback port. */
export async function startFaultUpstream(): Promise<FaultUpstream> {
  const requests: FaultRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>; } catch { /* answered below as ok */ }
      let closed!: () => void;
      const rec: FaultRequest = { path: req.url ?? '/', model: String(body.model ?? ''), clientClosed: new Promise<void>((r) => { closed = r; }), closedEarly: false, reached: 'received' };
      res.on('close', () => { if (!res.writableFinished) { rec.closedEarly = true; closed(); } });
      if (req.url?.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: [{ id: 'ok', object: 'model', created: 1700000000, owned_by: 'fault' }] }));
        return;
      }
      requests.push(rec);
      serve(rec, res, body.stream === true);
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));

  function serve(rec: FaultRequest, res: http.ServerResponse, stream: boolean): void {
    const [, fault, phase] = rec.model.split(':') as [string, Fault | undefined, Phase | undefined];
    const { json, frames } = answer(rec.path, stream);
    const socket = res.socket!;
    const strike = (f: Fault) => {
      if (f === 'reset') socket.destroy();
      else if (f === 'garbage') { res.end(GARBAGE); rec.reached = 'done'; } // well framed, meaningless
      // stall: nothing more, ever; Cloister's timeouts (or its client) end it
    };
    if (phase === 'before-headers') {
      if (fault === '429' || fault === '5xx') {
        const e = ERROR_BODY[fault];
        res.writeHead(e.status, { 'content-type': 'application/json', ...e.headers }).end(e.body);
        rec.reached = 'done';
        return;
      }
      if (fault === 'garbage') { socket.write(GARBAGE); socket.destroy(); return; } // not even a status line
      return strike(fault!);
    }
    if (fault === '429' || fault === '5xx') {
      const e = ERROR_BODY[fault];
      if (phase === 'mid-body') {
        res.writeHead(e.status, { 'content-type': 'application/json', 'content-length': String(e.body.length), ...e.headers });
        res.write(e.body.slice(0, 20));
        rec.reached = 'partial';
        socket.destroy();
        return;
      }
    }
    res.writeHead(200, stream ? { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } : { 'content-type': 'application/json' });
    if (!stream) {
      const text = JSON.stringify(json);
      if (phase === 'mid-body') {
        res.write(text.slice(0, Math.floor(text.length / 2)));
        rec.reached = 'partial';
        return strike(fault!);
      }
      res.end(text);
      rec.reached = 'done';
      return;
    }
    res.flushHeaders();
    if (phase === 'mid-body') {
      res.write(frames[0]!.slice(0, Math.floor(frames[0]!.length / 2)));
      rec.reached = 'partial';
      return strike(fault!);
    }
    const whole = phase === 'mid-stream' ? 2 : frames.length;
    for (const f of frames.slice(0, whole)) res.write(f);
    if (phase !== 'mid-stream') { res.end(); rec.reached = 'done'; return; }
    rec.reached = 'events';
    if (fault === '429' || fault === '5xx') {
      // As the OpenAI API reports a failure after the stream began: one error event, then the end.
      const error = JSON.parse(ERROR_BODY[fault].body) as { error: Record<string, unknown> };
      res.end(`event: error\ndata: ${JSON.stringify({ type: 'error', ...error.error })}\n\n`);
      return;
    }
    strike(fault!);
  }

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    reset() { requests.length = 0; },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
