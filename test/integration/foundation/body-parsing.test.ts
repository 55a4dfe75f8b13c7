// Request bodies as the route declarations take them, on a minimal app built from the same
// pieces createApp uses (the frame, mountRoutes): exact bytes for a forwarded body, a parsed
// and validated object for one Cloister reads itself, and the frame's error renderer.
import { expect } from 'chai';
import net from 'node:net';
import Koa from 'koa';
import Type from 'typebox';
import { createFrame } from '../../../src/http/frame.ts';
import { requestIds } from '../../../src/http/request-id.ts';
import { apiSecurityHeaders } from '../../../src/http/security-headers.ts';
import { corsHeaders } from '../../../src/http/cors.ts';
import { mountRoutes } from '../../../src/http/routes.ts';
import { route } from '../../../src/http/route.ts';
import type { JsonBody } from '../../../src/http/body.ts';
import { createLogger } from '../../../src/log.ts';
import { listen, type RunningServer } from '../../../src/http/server.ts';
import type { AppState } from '../../../src/http/context.ts';
import { captureLogs } from '../../support/log-capture.ts';

describe('JSON bodies', () => {
  let server: RunningServer;
  let url: string;
  const seen: Buffer[] = [];
  const parsed: unknown[] = [];
  const logs = captureLogs();

  before(async () => {
    const koa = new Koa<AppState>();
    koa.silent = true;
    const never = () => { throw new Error('no guard on public routes'); };
    const mounted = mountRoutes([
      route({
        method: 'POST', path: '/echo', access: 'public', body: { forward: true }, doc: { tag: 't', summary: 'echo' },
        handle(ctx, { body }) {
          seen.push((body as JsonBody).raw);
          ctx.body = { keys: Object.keys((body as JsonBody).json) };
        },
      }),
      route({
        method: 'POST', path: '/settings', access: 'public', doc: { tag: 't', summary: 'settings' },
        body: { json: Type.Object({ name: Type.String({ maxLength: 5 }), nested: Type.Optional(Type.Object({ n: Type.Integer() })) }, { additionalProperties: false }), limitBytes: 1024 },
        handle(ctx, { body }) {
          parsed.push(body);
          ctx.body = { ok: true };
        },
      }),
      route({ method: 'POST', path: '/boom', access: 'public', doc: { tag: 't', summary: 'boom' }, handle() { throw new Error('secret internal detail'); } }),
    ], { user: never, hotUser: never, admin: never }, { bodyLimitBytes: 1024, allowed: { throw: true } });
    const frame = createFrame({
      requestIdFor: requestIds(), securityHeaders: apiSecurityHeaders({ https: false }), corsHeaders: corsHeaders(new Set()),
      trustedProxies: [], loopbackRedirectTo: null, csrf: () => {}, log: () => {}, logger: createLogger('info', logs.stream),
    });
    koa.use(frame.fromFrame);
    for (const m of mounted.middleware) koa.use(m);
    server = await listen(frame.listener({ hot: mounted.hot, rest: koa.callback() }), { host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${server.port}`;
  });
  after(() => server.shutdown(100));

  const post = (path: string, body: BodyInit | null, type = 'application/json') =>
    fetch(url + path, { method: 'POST', body, headers: type ? { 'content-type': type } : {} });

  it('keeps the exact request bytes (whitespace, key order, unicode escapes)', async () => {
    const bytes = '{ "b":1,\n"a":"\\u00e9\u00e9" }';
    const res = await post('/echo', bytes);
    expect(res.status).to.equal(200);
    expect(seen.at(-1)!.toString('utf8')).to.equal(bytes);
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await post('/echo', '{"a":');
    expect(res.status).to.equal(400);
    expect((await res.json()).error).to.include({ code: 'invalid_json', type: 'invalid_request_error' });
  });

  it('answers a JSON array or scalar with 400', async () => {
    expect((await post('/echo', '[1,2]')).status).to.equal(400);
    expect((await post('/echo', '"x"')).status).to.equal(400);
  });

  it('answers a wrong content type with 415', async () => {
    const res = await post('/echo', 'a=b', 'application/x-www-form-urlencoded');
    expect(res.status).to.equal(415);
    expect((await res.json()).error.code).to.equal('unsupported_media_type');
  });

  it('answers a body over the limit with 413', async () => {
    const res = await post('/echo', JSON.stringify({ a: 'x'.repeat(2000) }));
    expect(res.status).to.equal(413);
    expect((await res.json()).error.code).to.equal('payload_too_large');
  });

  it('answers a chunked body that grows past the limit with 413, before reading the rest', async () => {
    const before = seen.length;
    const big = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(`{"a":"${'x'.repeat(800)}`));
        c.enqueue(new TextEncoder().encode(`${'y'.repeat(800)}"}`));
        c.close();
      },
    });
    const res = await fetch(`${url}/echo`, { method: 'POST', body: big, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    expect(res.status).to.equal(413);
    expect((await res.json()).error.code).to.equal('payload_too_large');
    expect(seen.length, 'the route never ran').to.equal(before);
  });

  it('survives a client that declares more than it sends and leaves, and the route never runs', async () => {
    const before = seen.length;
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"a":');
    await new Promise((r) => setImmediate(r));
    socket.destroy();
    const res = await post('/echo', '{"b":2}');
    expect(res.status, 'the server still answers').to.equal(200);
    expect(seen.slice(before).map((b) => b.toString('utf8'))).to.deep.equal(['{"b":2}']);
  });

  it('answers a missing body with 400', async () => {
    const res = await post('/echo', null, '');
    expect(res.status).to.equal(400);
  });

  it('answers an unexpected error with a generic 500 and keeps its message out of body and log', async () => {
    const res = await post('/boom', '{}');
    expect(res.status).to.equal(500);
    const body = await res.json();
    expect(body.error).to.include({ type: 'server_error', code: 'internal_error' });
    expect(JSON.stringify(body)).to.not.contain('secret internal detail');
    expect(logs.contains('secret internal detail')).to.equal(false);
    expect(logs.entries().some((e) => e.event === 'request.error')).to.equal(true);
  });

  describe('a body Cloister reads itself (koa-body, then the route\'s schema)', () => {
    it('takes a valid object', async () => {
      expect((await post('/settings', '{"name":"ann","nested":{"n":2}}')).status).to.equal(200);
      expect(parsed.at(-1)).to.deep.equal({ name: 'ann', nested: { n: 2 } });
    });
    it('answers a field that breaks the schema with 400 naming it', async () => {
      for (const [body, param] of [['{"name":"toolong"}', 'name'], ['{"name":"a","nested":{"n":1.5}}', 'nested.n'], ['{"name":"a","extra":1}', 'extra'], ['{}', 'name']] as const) {
        const res = await post('/settings', body);
        expect(res.status, body).to.equal(400);
        const err = (await res.json()).error;
        expect(err.code, body).to.equal('invalid_request');
        expect(err.param, body).to.equal(param);
      }
    });
    it('refuses a repeated key, malformed JSON, a wrong type and an oversized body', async () => {
      expect((await post('/settings', '{"name":"a","name":"b"}')).status).to.equal(400);
      expect((await post('/settings', '{"name":')).status).to.equal(400);
      expect((await post('/settings', 'name=a', 'application/x-www-form-urlencoded')).status).to.equal(415);
      expect((await post('/settings', JSON.stringify({ name: 'x'.repeat(2000) }))).status).to.equal(413);
    });
  });
});
