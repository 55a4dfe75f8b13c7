// The inference POSTs are served as direct routes (without Koa) on their exact paths, and by
// Koa's router when the request target is in absolute form (`POST http://host/v1/...`, as a
// forward proxy sends it). Both front doors must give the same answers and the same frame:
// request id, security and CORS headers, CSRF, error shapes, the access log. Every other
// spelling of the paths is an unknown URL.
import http from 'node:http';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { waitFor } from '../../support/log-capture.ts';
import { sessionCookieFor } from '../../support/session-helpers.ts';

/** Response headers that say nothing about the frame (they differ per response or per connection). */
const VARYING = new Set(['date', 'x-request-id', 'content-length', 'connection', 'keep-alive', 'transfer-encoding']);
const frameOf = (res: Response) => [...res.headers].filter(([k]) => !VARYING.has(k)).sort(([a], [b]) => a.localeCompare(b));

describe('proxy: direct routes and their Koa twins', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let key: string;
  let userId: string;
  let koaRequests = 0;
  const chat = { model: 'fake-model', messages: [{ role: 'user', content: 'hi' }] };

  const post = (path: string, body: string, headers: Record<string, string> = {}, withKey = true) => t.request(path, {
    ...(withKey ? { key } : {}), method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body,
  });

  /** POST with the request target in absolute form: the direct routes leave it to Koa. */
  const postAbsolute = (path: string, body: string, headers: Record<string, string> = {}, withKey = true) => new Promise<Response>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: t.server.port, method: 'POST', path: `${t.url}${path}`,
      headers: { 'content-type': 'application/json', ...(withKey ? { authorization: `Bearer ${key}` } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers: h }));
      });
    });
    req.on('error', reject);
    req.end(body);
  });

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, BODY_LIMIT_BYTES: '4096', ALLOWED_ORIGINS: 'https://app.example' });
    // Counts what reaches Koa at all: Koa builds a context for every request it takes.
    const createContext = t.app.koa.createContext.bind(t.app.koa);
    t.app.koa.createContext = ((req, res) => { koaRequests++; return createContext(req, res); }) as typeof createContext;
    ({ key, userId } = await t.userWithKey());
  });
  after(async () => { await t.close(); await fake.close(); });
  beforeEach(() => { fake.reset(); koaRequests = 0; });

  it('serves the exact paths without Koa, the absolute form through Koa with the same answer, and no other spelling', async () => {
    for (const path of ['/v1/chat/completions', '/v1/chat/completions?x=1']) {
      const res = await post(path, JSON.stringify(chat));
      expect(res.status, path).to.equal(200);
      expect((await res.json()).object).to.equal('chat.completion');
    }
    expect(koaRequests, 'the exact path never reaches Koa').to.equal(0);
    const absolute = await postAbsolute('/v1/chat/completions', JSON.stringify(chat));
    expect(absolute.status).to.equal(200);
    expect((await absolute.json()).object).to.equal('chat.completion');
    expect(koaRequests, 'the absolute form is Koa\'s').to.equal(1);
    // (Dot segments are tried by test/integration/security/path-spellings.test.ts: fetch() removes them.)
    for (const path of ['/v1/chat/completions/', '/V1/Chat/Completions', '/v1//chat/completions']) {
      const res = await post(path, JSON.stringify(chat));
      expect(res.status, path).to.equal(404);
    }
    expect(fake.requests.map((r) => r.body.toString('utf8'))).to.deep.equal(Array(3).fill(JSON.stringify(chat)));
    koaRequests = 0;
    const embeddings = await post('/v1/embeddings', JSON.stringify({ model: 'fake-model', input: 'x' }));
    expect(embeddings.status).to.equal(200);
    const responses = await post('/v1/responses', JSON.stringify({ model: 'fake-model', input: 'x' }));
    expect(responses.status).to.equal(200);
    expect(koaRequests).to.equal(0);
  });

  it('leaves other methods on those paths to Koa (405, and the refused listing)', async () => {
    expect((await t.request('/v1/chat/completions', { key, method: 'PUT' })).status).to.equal(405);
    expect((await t.request('/v1/responses', { key, method: 'PATCH' })).status).to.equal(405);
    expect((await t.request('/v1/chat/completions', { key })).status, 'listing is refused').to.equal(404);
    expect(fake.requests).to.have.length(0);
  });

  it('gives both front doors the same frame: security headers, CORS for listed and other origins', async () => {
    for (const origin of [null, 'https://app.example', 'https://elsewhere.example']) {
      const headers: Record<string, string> = origin ? { origin } : {};
      const direct = await post('/v1/chat/completions', JSON.stringify(chat), headers);
      const viaKoa = await postAbsolute('/v1/chat/completions', JSON.stringify(chat), headers);
      expect(direct.headers.get('x-request-id')).to.match(/^req_[0-9a-f]{24}$/);
      expect(frameOf(direct), String(origin)).to.deep.equal(frameOf(viaKoa));
      expect(direct.headers.get('content-security-policy')).to.contain("frame-ancestors 'none'");
      if (origin) expect(direct.headers.get('vary')).to.equal('Origin');
    }
    const listed = await post('/v1/chat/completions', JSON.stringify(chat), { origin: 'https://app.example' });
    expect(listed.headers.get('access-control-allow-credentials')).to.equal('true');
    const other = await post('/v1/chat/completions', JSON.stringify(chat), { origin: 'https://elsewhere.example' });
    expect(other.headers.get('access-control-allow-origin')).to.equal('*');
    expect(other.headers.get('access-control-allow-credentials')).to.equal(null);
    const safe = await post('/v1/chat/completions', JSON.stringify(chat), { 'x-request-id': 'client-chosen.1' });
    expect(safe.headers.get('x-request-id')).to.equal('client-chosen.1');
  });

  it('renders every refusal the same way through both: status, headers and body bytes', async () => {
    const cases: Array<{ name: string; body: string; headers?: Record<string, string>; withKey?: boolean; status: number }> = [
      { name: 'no credential', body: JSON.stringify(chat), withKey: false, status: 401 },
      { name: 'malformed JSON', body: '{"model":', status: 400 },
      { name: 'not an object', body: '[1,2]', status: 400 },
      { name: 'wrong content type', body: JSON.stringify(chat), headers: { 'content-type': 'text/plain' }, status: 415 },
      { name: 'too large', body: JSON.stringify({ ...chat, pad: 'x'.repeat(5000) }), status: 413 },
      { name: 'stream not a boolean', body: JSON.stringify({ ...chat, stream: 'yes' }), status: 400 },
      { name: 'a file reference', body: JSON.stringify({ ...chat, file_id: 'file_1' }), status: 400 },
    ];
    for (const c of cases) {
      const direct = await post('/v1/chat/completions', c.body, c.headers, c.withKey ?? true);
      const viaKoa = await postAbsolute('/v1/chat/completions', c.body, c.headers, c.withKey ?? true);
      expect(direct.status, c.name).to.equal(c.status);
      expect(viaKoa.status, c.name).to.equal(c.status);
      expect(frameOf(direct), c.name).to.deep.equal(frameOf(viaKoa));
      expect(direct.headers.get('content-type'), c.name).to.equal('application/json; charset=utf-8');
      expect(direct.headers.get('x-should-retry'), c.name).to.equal('false');
      expect(await direct.text(), c.name).to.equal(await viaKoa.text());
    }
    expect(fake.requests, 'nothing refused reached upstream').to.have.length(0);
  });

  it('refuses a cross-site request carrying the session cookie, and takes it from the listed origin', async () => {
    const cookie = await sessionCookieFor(t, userId);
    const crossSite = await post('/v1/chat/completions', JSON.stringify(chat), { cookie, origin: 'https://evil.example' }, false);
    expect(crossSite.status).to.equal(403);
    expect((await crossSite.json()).error.code).to.equal('csrf_rejected');
    const noOrigin = await post('/v1/chat/completions', JSON.stringify(chat), { cookie }, false);
    expect(noOrigin.status).to.equal(403);
    expect(fake.requests).to.have.length(0);
    const listed = await post('/v1/chat/completions', JSON.stringify(chat), { cookie, origin: 'https://app.example' }, false);
    expect(listed.status).to.equal(200);
  });

  it('writes one access-log line with the route pattern, status and user', async () => {
    const res = await post('/v1/chat/completions', JSON.stringify(chat), { 'x-request-id': 'direct-log-1' });
    await res.text();
    await waitFor(() => t.logs.entries().some((e) => e.request_id === 'direct-log-1'));
    const lines = t.logs.entries().filter((e) => e.request_id === 'direct-log-1');
    expect(lines).to.have.length(1);
    expect(Object.keys(lines[0]!).sort()).to.deep.equal(['aborted', 'duration_ms', 'event', 'level', 'method', 'request_id', 'route', 'service', 'status', 'time', 'user_id']);
    expect(lines[0]).to.include({ route: '/v1/chat/completions', status: 200, method: 'POST', user_id: userId, aborted: false });
  });

  it('aborts upstream when the client leaves before a non-streamed answer, and logs the request as aborted', async () => {
    const pending = post('/v1/chat/completions', JSON.stringify({ ...chat, model: 'hang' }), { 'x-request-id': 'direct-abort-1' }).catch(() => null);
    await waitFor(() => fake.requests.length === 1);
    const upstreamRequest = fake.requests[0]!;
    // The client leaves: the connection to Cloister closes.
    t.server.server.closeAllConnections();
    await pending;
    await upstreamRequest.clientClosed;
    await waitFor(() => t.logs.entries().some((e) => e.request_id === 'direct-abort-1'));
    expect(t.logs.entries().find((e) => e.request_id === 'direct-abort-1')).to.include({ aborted: true, route: '/v1/chat/completions' });
  });
});
