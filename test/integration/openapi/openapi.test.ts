// The OpenAPI document is generated from the route declarations, and every declaration is a
// route the server answers: the document and the routes cannot drift apart. Issue 22.3: a test
// derived from the declarations proves every non-public route refuses an anonymous caller.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { toOpenApiPath } from '../../../src/http/openapi-document.ts';
import { rawRequest } from '../../support/raw-request.ts';

/** A concrete path for a declared route. */
const concrete = (path: string) => path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => (name === 'model' ? 'fake-model' : 'resp_abc123'));

describe('routes declared once: the OpenAPI document and the guards come from the declarations', () => {
  let t: TestApp;
  before(async () => {
    await resetDatabase();
    // Every optional capability on, so every route is declared.
    t = await startTestApp({ GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET: 'g', GOOGLE_ISSUER: 'http://127.0.0.1:1', GITHUB_CLIENT_ID: 'h', GITHUB_CLIENT_SECRET: 'h', AUTH_PASSWORD_ENABLED: 'true', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
  });
  after(() => t.close());

  it('documents exactly the declared routes, with their own schemas', async () => {
    const doc = await (await t.request('/openapi.json')).json();
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const declared = t.app.routes().map((r) => `${r.method} ${toOpenApiPath(r.path)}`);
    expect(documented.sort()).to.deep.equal([...declared].sort());
    expect(new Set(declared).size).to.equal(declared.length);
    const keys = t.app.routes().find((r) => r.method === 'POST' && r.path === '/v1/users/me/api-keys')!;
    expect(doc.paths['/v1/users/me/api-keys'].post.requestBody.content['application/json'].schema).to.deep.equal(JSON.parse(JSON.stringify((keys.body as { json: unknown }).json)));
  });

  it('serves a valid-looking 3.1 document with OpenAI error responses and both auth schemes', async () => {
    const doc = await (await t.request('/openapi.json')).json();
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths['/v1/conversations/{id}'].get.security).to.deep.equal([{ bearer: [] }, { session: [] }]);
    expect(doc.paths['/v1/conversations/{id}'].get.parameters[0]).to.include({ name: 'id', in: 'path', required: true });
    expect(doc.paths['/v1/chat/completions'].post.responses['200'].content).to.have.keys('application/json', 'text/event-stream');
    expect(doc.paths['/v1/admin/users'].get.parameters.map((p: { name: string }) => p.name)).to.deep.equal(['query', 'limit', 'after']);
    expect(doc.components.schemas.Error.properties.error.required).to.deep.equal(['message', 'type', 'param', 'code']);
    const ids = Object.values(doc.paths).flatMap((p) => Object.values(p as Record<string, { operationId: string }>).map((o) => o.operationId));
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('refuses an anonymous caller on every route that is not public: 401 for users\' routes, the unknown-URL 404 for admins\'', async () => {
    const guarded = t.app.routes().filter((r) => r.access !== 'public');
    expect(guarded.length).to.be.greaterThan(40);
    for (const r of guarded) {
      const res = await rawRequest(t.server.port, r.method, concrete(r.path), {
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: r.method === 'GET' || r.method === 'DELETE' ? undefined : '{}',
      });
      const expected = r.access === 'admin' ? 404 : 401;
      expect(res.status, `${r.method} ${r.path}`).to.equal(expected);
      expect(JSON.parse(res.body).error.code, `${r.method} ${r.path}`).to.equal(r.access === 'admin' ? 'not_found' : 'unauthenticated');
    }
  });

  it('serves /docs with a same-origin viewer script and no inline script', async () => {
    const page = await t.request('/docs');
    expect(page.headers.get('content-type')).to.contain('text/html');
    expect(page.headers.get('content-security-policy')).to.contain("script-src 'self'");
    const html = await page.text();
    expect(html).to.contain('<script src="/docs/viewer.js"></script>');
    expect(html).to.not.match(/<script>(?!<)/);
    expect((await t.request('/docs/viewer.js')).headers.get('content-type')).to.contain('javascript');
  });
});
