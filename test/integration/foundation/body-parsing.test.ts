// The JSON body middleware and the frame's error renderer together, on a minimal Koa app built
// from the same pieces createApp uses.
import { expect } from 'chai';
import net from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { jsonBody } from '../../../src/http/body.ts';
import { createFrame } from '../../../src/http/frame.ts';
import { requestIds } from '../../../src/http/request-id.ts';
import { apiSecurityHeaders } from '../../../src/http/security-headers.ts';
import { corsHeaders } from '../../../src/http/cors.ts';
import { createLogger } from '../../../src/log.ts';
import { listen, type RunningServer } from '../../../src/http/server.ts';
import type { AppState } from '../../../src/http/context.ts';
import { captureLogs } from '../../support/log-capture.ts';

describe('JSON bodies', () => {
  let server: RunningServer;
  let url: string;
  const seen: Buffer[] = [];
  const logs = captureLogs();

  before(async () => {
    const koa = new Koa<AppState>();
    koa.silent = true;
    const router = new Router<AppState>();
    router.post('/echo', jsonBody({ limitBytes: 1024 }), (ctx) => {
      seen.push(ctx.state.rawBody!);
      ctx.body = { keys: Object.keys(ctx.state.json as object) };
    });
    router.post('/boom', () => { throw new Error('secret internal detail'); });
    koa.use(createFrame({
      requestIdFor: requestIds(), securityHeaders: apiSecurityHeaders({ https: false }), corsHeaders: corsHeaders(new Set()),
      trustedProxies: [], loopbackRedirectTo: null, csrf: () => {}, log: () => {}, logger: createLogger('info', logs.stream),
    }));
    koa.use(router.routes());
    server = await listen(koa.callback(), { host: '127.0.0.1', port: 0 });
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
});
