import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { waitFor } from '../../support/log-capture.ts';

function expectOpenAiError(body: unknown, code: string, type = 'invalid_request_error') {
  expect(body).to.have.property('error');
  const err = (body as { error: Record<string, unknown> }).error;
  expect(Object.keys(err).sort()).to.deep.equal(['code', 'message', 'param', 'type']);
  expect(err.code).to.equal(code);
  expect(err.type).to.equal(type);
  expect(err.message).to.be.a('string').and.not.be.empty;
}

describe('HTTP conventions', () => {
  let t: TestApp;
  before(async () => { await resetDatabase(); t = await startTestApp({ BODY_LIMIT_BYTES: '2048', ATTACHMENT_MAX_BYTES: '0' }); });
  after(() => t.close());

  it('answers an unknown route with an OpenAI-shaped 404 and a request id', async () => {
    const res = await t.request('/v1/does-not-exist');
    expect(res.status).to.equal(404);
    expect(res.headers.get('x-request-id')).to.match(/^req_[0-9a-f]{24}$/);
    expectOpenAiError(await res.json(), 'not_found');
  });

  it('answers a wrong method with 405', async () => {
    const res = await t.request('/healthz', { method: 'DELETE' });
    expect(res.status).to.equal(405);
    expectOpenAiError(await res.json(), 'method_not_allowed');
  });

  it('answers a missing API key with 401', async () => {
    const res = await t.request('/v1/users/me');
    expect(res.status).to.equal(401);
    expectOpenAiError(await res.json(), 'unauthenticated');
  });

  it('answers a wrong API key with 401 invalid_api_key', async () => {
    const res = await t.request('/v1/users/me', { key: 'ck_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(res.status).to.equal(401);
    expectOpenAiError(await res.json(), 'invalid_api_key');
  });

  it('echoes a safe x-request-id and replaces an unsafe one', async () => {
    const ok = await t.request('/healthz', { headers: { 'x-request-id': 'client-id_1.2:3' } });
    expect(ok.headers.get('x-request-id')).to.equal('client-id_1.2:3');
    const long = await t.request('/healthz', { headers: { 'x-request-id': 'a'.repeat(129) } });
    expect(long.headers.get('x-request-id')).to.match(/^req_/);
    const bad = await t.request('/healthz', { headers: { 'x-request-id': 'has space<script>' } });
    expect(bad.headers.get('x-request-id')).to.match(/^req_/);
  });

  it('sets security headers, with a strict CSP', async () => {
    const res = await t.request('/healthz');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('x-frame-options')).to.equal('DENY');
    expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(res.headers.get('content-security-policy')).to.contain("frame-ancestors 'none'");
    expect(res.headers.get('permissions-policy')).to.contain('camera=()');
    expect(res.headers.get('strict-transport-security')).to.equal(null); // plain http here
  });

  it('writes one access-log line per request with allow-listed fields only', async () => {
    const res = await t.request('/healthz', { headers: { 'x-request-id': 'log-line-check' } });
    await res.text();
    await waitFor(() => t.logs.entries().some((e) => e.request_id === 'log-line-check'));
    const lines = t.logs.entries().filter((e) => e.request_id === 'log-line-check');
    expect(lines).to.have.length(1);
    expect(Object.keys(lines[0]!).sort()).to.deep.equal(['aborted', 'duration_ms', 'event', 'level', 'method', 'request_id', 'route', 'service', 'status', 'time', 'user_id']);
    expect(lines[0]).to.include({ route: '/healthz', status: 200, method: 'GET' });
  });

  it('sends a browser on a loopback IP to localhost (passkeys need a host name), but never API calls', async () => {
    const page = await t.request('/some/page?x=1', { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).to.equal(302);
    expect(page.headers.get('location')).to.equal(`http://localhost:${new URL(t.url).port}/some/page?x=1`);
    const api = await t.request('/v1/users/me', { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(api.status).to.equal(401);
    const health = await t.request('/healthz', { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(health.status).to.equal(200);
  });
});
