// Serving the built web app: SPA fallback, caching, CSP-compatible HTML, never shadowing API
// routes, and a helpful page before the first build.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Koa from 'koa';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { resetDatabase } from '../support/test-database.ts';
import { createStaticWeb } from '../../src/http/static-web.ts';
import { apiSecurityHeaders } from '../../src/http/security-headers.ts';
import { createFrame } from '../../src/http/frame.ts';
import { requestIds } from '../../src/http/request-id.ts';
import { corsHeaders } from '../../src/http/cors.ts';
import { createLogger } from '../../src/log.ts';
import { listen } from '../../src/http/server.ts';
import { buildWeb } from './web-browser.ts';

describe('web app static serving', function () {
  this.timeout(30_000);
  let t: TestApp;
  let jsAsset: string;

  before(async () => {
    const root = await buildWeb();
    jsAsset = readdirSync(join(root, 'assets')).find((f) => f.endsWith('.js'))!;
    await resetDatabase();
    t = await startTestApp();
  });
  after(async () => { await t?.close(); });

  it('answers / and app paths with index.html, no-store, under the strict CSP', async () => {
    for (const path of ['/', '/c/conv_123', '/account', '/verify']) {
      const res = await t.request(path);
      expect(res.status, path).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).to.contain("default-src 'self'").and.contain("script-src 'self'").and.contain("connect-src 'self'");
      expect(csp).not.to.contain('unsafe');
      const html = await res.text();
      expect(html).to.contain(`/assets/${jsAsset}`);
      // no inline script or style the CSP would refuse
      expect(html.match(/<script\b[^>]*>/g)?.every((tag) => / src="\/assets\//.test(tag))).to.equal(true);
      expect(html).not.to.match(/<style\b| style=| on[a-z]+=/i);
    }
  });

  it('serves hashed assets with a long immutable cache, and 404s unknown files', async () => {
    const res = await t.request(`/assets/${jsAsset}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/javascript/);
    expect(res.headers.get('cache-control')).to.equal('public, max-age=31536000, immutable');
    expect((await res.text()).length).to.be.greaterThan(1000);
    for (const path of ['/assets/nope-123.js', '/favicon.ico', '/assets/..%2f..%2fpackage.json', '/robots.txt']) {
      const r = await t.request(path);
      expect(r.status, path).to.equal(404);
      expect(r.headers.get('content-type'), path).to.match(/json/);
    }
  });

  it('never shadows API and operations routes', async () => {
    const api = await t.request('/v1/does-not-exist');
    expect(api.status).to.equal(404);
    expect(await api.json()).to.have.nested.property('error.code', 'not_found');
    expect((await t.request('/v1/users/me')).status).to.equal(401);
    expect(await (await t.request('/healthz')).json()).to.deep.equal({ status: 'ok' });
    for (const path of ['/v1', '/docs/nothing', '/metrics/x']) expect((await t.request(path)).headers.get('content-type'), path).not.to.match(/html/);
    expect((await t.request('/', { method: 'POST' })).status).to.equal(404);
  });

  it('says to run the build when dist/web is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'cloister-web-'));
    const web = createStaticWeb({ root, logger: createLogger('silent'), buildIfMissing: false });
    const koa = new Koa();
    const frame = createFrame({
      requestIdFor: requestIds(), securityHeaders: apiSecurityHeaders({ https: false }), corsHeaders: corsHeaders(new Set()),
      trustedProxies: [], loopbackRedirectTo: null, csrf: () => {}, log: () => {}, logger: createLogger('silent'),
    });
    koa.use(frame.fromFrame as Koa.Middleware);
    koa.use(web.middleware as Koa.Middleware);
    const server = await listen(frame.listener({ hot: new Map(), rest: koa.callback() }), { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(await res.text()).to.contain('npm run build');
    } finally {
      await server.shutdown(1000);
      web.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
