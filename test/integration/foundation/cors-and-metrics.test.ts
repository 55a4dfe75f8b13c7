import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';

describe('CORS', () => {
  let t: TestApp;
  before(async () => { await resetDatabase(); t = await startTestApp({ ALLOWED_ORIGINS: 'https://app.example' }); });
  after(() => t.close());

  it('allows credentials only for listed origins', async () => {
    const listed = await t.request('/healthz', { headers: { origin: 'https://app.example' } });
    expect(listed.headers.get('access-control-allow-origin')).to.equal('https://app.example');
    expect(listed.headers.get('access-control-allow-credentials')).to.equal('true');
    const other = await t.request('/healthz', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).to.equal('*');
    expect(other.headers.get('access-control-allow-credentials')).to.equal(null);
  });

  it('answers a preflight with 204 and the allowed methods', async () => {
    const res = await t.request('/v1/users/me', { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(res.status).to.equal(204);
    expect(res.headers.get('access-control-allow-methods')).to.contain('POST');
    expect(res.headers.get('access-control-allow-headers')).to.equal('authorization, content-type');
  });
});

describe('/metrics', () => {
  it('is served to loopback peers when no token is set, with request durations by route pattern', async () => {
    await resetDatabase();
    const t = await startTestApp();
    try {
      await (await t.request('/healthz')).text();
      const res = await t.request('/metrics');
      expect(res.status).to.equal(200);
      const text = await res.text();
      expect(text).to.contain('cloister_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/healthz",status="200"}');
      expect(text).to.contain('cloister_db_pool_total');
    } finally {
      await t.close();
    }
  });

  it('needs the bearer token when METRICS_TOKEN is set', async () => {
    const t = await startTestApp({ METRICS_TOKEN: 'metrics-token-0123456789' });
    try {
      expect((await t.request('/metrics')).status).to.equal(404);
      expect((await t.request('/metrics', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).to.equal(404);
      expect((await t.request('/metrics', { headers: { authorization: 'Bearer metrics-token-0123456789' } })).status).to.equal(200);
    } finally {
      await t.close();
    }
  });
});
