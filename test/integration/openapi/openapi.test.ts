import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { OPERATIONS, toOpenApiPath } from '../../../src/http/openapi.ts';

describe('OpenAPI document', () => {
  let t: TestApp;
  before(async () => {
    await resetDatabase();
    // Every optional capability on, so every route is registered.
    t = await startTestApp({ GOOGLE_CLIENT_ID: 'g', GOOGLE_CLIENT_SECRET: 'g', GOOGLE_ISSUER: 'http://127.0.0.1:1', GITHUB_CLIENT_ID: 'h', GITHUB_CLIENT_SECRET: 'h', AUTH_PASSWORD_ENABLED: 'true' });
  });
  after(() => t.close());

  it('documents exactly the routes the routers register', () => {
    const registered = new Set(t.app.routes().map((r) => `${r.method} ${toOpenApiPath(r.path)}`));
    const documented = new Set(OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`));
    expect([...registered].filter((r) => !documented.has(r)), 'registered but undocumented').to.deep.equal([]);
    expect([...documented].filter((d) => !registered.has(d)), 'documented but not registered').to.deep.equal([]);
  });

  it('serves a valid-looking 3.1 document with OpenAI error responses and both auth schemes', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).to.equal(200);
    const doc = await res.json();
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths['/v1/conversations/{id}'].get.security).to.deep.equal([{ bearer: [] }, { session: [] }]);
    expect(doc.paths['/v1/conversations/{id}'].get.parameters[0]).to.include({ name: 'id', in: 'path', required: true });
    expect(doc.paths['/v1/chat/completions'].post.responses['200'].content).to.have.keys('application/json', 'text/event-stream');
    expect(doc.components.schemas.Error.properties.error.required).to.deep.equal(['message', 'type', 'param', 'code']);
    const ids = Object.values(doc.paths).flatMap((p) => Object.values(p as Record<string, { operationId: string }>).map((o) => o.operationId));
    expect(new Set(ids).size).to.equal(ids.length);
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
