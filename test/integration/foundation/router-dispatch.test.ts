import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { literalPrefix } from '../../../src/http/router-dispatch.ts';

type Dispatch = { routers: Array<{ stack: Array<{ path: unknown; match(path: string): boolean }> }>; candidates(path: string): number[] };

/** Concrete request paths for a route pattern, and near spellings (case, trailing slash, an extra or a missing character). */
function samplePaths(pattern: string): string[] {
  const concrete = pattern.replace(/\*[A-Za-z_]+/g, 'org/model-1').replace(/:[A-Za-z_]+/g, 'abc_123');
  return [concrete, `${concrete}/`, concrete.toUpperCase(), `${concrete}/extra`, concrete.slice(0, -1)];
}

describe('Router dispatch', () => {
  let t: TestApp;
  before(async () => { await resetDatabase(); t = await startTestApp(); });
  after(() => t.close());

  const dispatch = () => t.app.koa.middleware.find((m) => 'candidates' in m) as unknown as Dispatch;

  it('takes a literal prefix no longer than any path a route matches', () => {
    expect(literalPrefix('/v1/chat/completions/:id')).to.equal('/v1/chat/completions/');
    expect(literalPrefix('/v1/models/:model')).to.equal('/v1/models/');
    expect(literalPrefix('/v1/users/me')).to.equal('/v1/users/me');
    expect(literalPrefix('/openapi.json')).to.equal('/openapi');
    expect(literalPrefix('/v1/users(?:\\/|$)')).to.equal('/v1/users');
    expect(literalPrefix('/')).to.equal('/');
    expect(literalPrefix(/^\/x/)).to.equal('');
  });

  it('runs every router with a route or middleware matching the path', () => {
    const d = dispatch();
    const patterns = t.app.routes().map((r) => r.path);
    const paths = [...new Set([...patterns.flatMap(samplePaths), '/', '/v1', '/v1/', '/nope', '/v1/nope', '/login', '/docs', '//v1/models', '/v1//models'])];
    let checked = 0;
    for (const path of paths) {
      const candidates = d.candidates(path);
      d.routers.forEach((router, i) => {
        if (router.stack.some((layer) => layer.match(path))) {
          expect(candidates, `${path} must run router ${i}`).to.include(i);
          checked++;
        }
      });
    }
    expect(checked).to.be.greaterThan(patterns.length);
  });

  it('skips routers that cannot match, so a proxied request runs one router', () => {
    expect(dispatch().candidates('/v1/models')).to.have.length(1);
    expect(dispatch().candidates('/healthz')).to.have.length(1);
  });

  it('keeps the routers\' answers: exact paths only, 405, OPTIONS and unknown methods', async () => {
    expect((await t.request('/healthz')).status).to.equal(200);
    expect((await t.request('/HEALTHZ')).status).to.equal(404);
    expect((await t.request('/healthz/')).status).to.equal(404);
    expect((await t.request('/healthz', { method: 'POST' })).status).to.equal(405);
    const options = await t.request('/healthz', { method: 'OPTIONS' });
    expect(options.status).to.equal(200);
    expect(options.headers.get('allow')).to.contain('GET');
    expect((await t.request('/v1/chat/completions', { method: 'PUT' })).status).to.equal(405);
    expect((await t.request('/nope', { method: 'PROPFIND' })).status).to.equal(405);
    expect((await t.request('/v1/nope')).status).to.equal(404);
  });
});
