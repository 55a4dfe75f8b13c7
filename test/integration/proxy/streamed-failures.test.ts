// Finding 21.1: with `stream: true`, an upstream that failed before its first byte (500 JSON,
// 500 text, 502 HTML) became Cloister's own `500 internal_error` ("the handler did not
// answer"), where the same request without streaming got `502 upstream_error`; the web app
// always streams. Before the first byte a streamed request now fails exactly as a non-streamed
// one: same status, same body, same retry-after.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

interface Answer { status: number; body: unknown; retryAfter: string | null }

describe('proxy: upstream failures before the first byte, streamed or not', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let key: string;

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '300' });
    ({ key } = await t.userWithKey());
  });
  after(async () => { await t.close(); await fake.close(); });

  const ask = async (app: TestApp, path: string, model: string, stream: boolean): Promise<Answer> => {
    const body = path === '/v1/responses' ? { model, stream, input: 'hi' } : { model, stream, messages: [{ role: 'user', content: 'hi' }] };
    const res = await app.request(path, { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
  };

  const cases: Array<[string, number, string | null]> = [
    ['error-500-json', 502, 'upstream_error'],
    ['error-500', 502, 'upstream_error'],
    ['error-502-html', 502, 'upstream_error'],
    ['error-503-retry', 502, 'upstream_error'],
    ['error-429', 429, 'rate_limit_exceeded'],
    ['error-400', 400, 'invalid_value'],
    ['hang', 504, 'upstream_timeout'],
  ];
  for (const path of ['/v1/chat/completions', '/v1/responses']) {
    for (const [model, status, code] of cases) {
      it(`${path}, upstream ${model}: the streamed request answers ${status} like the non-streamed one`, async () => {
        const plain = await ask(t, path, model, false);
        const streamed = await ask(t, path, model, true);
        expect(plain.status).to.equal(status);
        expect((plain.body as { error: { code: string | null } }).error.code).to.equal(code);
        expect(streamed).to.deep.equal(plain);
        if (model === 'error-429' || model === 'error-503-retry') expect(streamed.retryAfter).to.be.a('string');
        // Upstream's own text never reaches the client unless it is an OpenAI-shaped 4xx.
        expect(JSON.stringify(streamed.body)).not.to.contain('stack trace').and.not.to.contain('Bad Gateway').and.not.to.contain('internal detail');
      });
    }
  }

  it('answers 502 for an upstream that refuses connections, streamed or not', async () => {
    const down = await startTestApp({ OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    try {
      ({ key } = await down.userWithKey());
      for (const path of ['/v1/chat/completions', '/v1/responses']) {
        const plain = await ask(down, path, 'fake-model', false);
        const streamed = await ask(down, path, 'fake-model', true);
        expect(plain.status).to.equal(502);
        expect(streamed).to.deep.equal(plain);
      }
    } finally {
      await down.close();
      ({ key } = await t.userWithKey());
    }
  });
});
