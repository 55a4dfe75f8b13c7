// Finding 9: in production with ATTESTATION_MODE=dstack and no socket, Cloister logged one line,
// answered /readyz 200 and served chat — while the report and signatures answered 503. Now a
// server whose required attestation does not work is not ready and lets nothing reach the model
// API, and it recovers by itself when the socket answers.
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../../src/config.ts';
import { startSimulator, type Simulator } from '../../../src/attestation/simulator.ts';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

const PRODUCTION = { NODE_ENV: 'production', PUBLIC_URL: 'https://c.example', DATABASE_URL: 'postgres://db/x', SESSION_SECRET: 'x'.repeat(40) };
const chat = JSON.stringify({ model: 'fake-model', messages: [{ role: 'user', content: 'hi' }] });

describe('attestation: fail closed (finding 9)', () => {
  let dir: string;
  let fake: FakeUpstream;
  before(async () => {
    await resetDatabase();
    dir = await mkdtemp(join(tmpdir(), 'cloister-closed-'));
    fake = await startFakeUpstream();
  });
  after(async () => { await fake.close(); await rm(dir, { recursive: true, force: true }); });

  it('config: required by default in production with dstack; ATTESTATION_REQUIRED=false relaxes it; it needs attestation on', () => {
    expect(loadConfig({ ...PRODUCTION }).attestation).to.include({ mode: 'dstack', required: true });
    expect(loadConfig({ ...PRODUCTION, ATTESTATION_REQUIRED: 'false' }).attestation.required).to.equal(false);
    expect(loadConfig({ ...PRODUCTION, ATTESTATION_MODE: 'off' }).attestation.required).to.equal(false);
    expect(loadConfig({}).attestation.required).to.equal(false);
    expect(loadConfig({ ATTESTATION_MODE: 'dstack', ATTESTATION_REQUIRED: 'true' }).attestation.required).to.equal(true);
    let err: unknown;
    try { loadConfig({ ATTESTATION_MODE: 'off', ATTESTATION_REQUIRED: 'true' }); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).problems.join('\n')).to.contain('ATTESTATION_REQUIRED=true needs ATTESTATION_MODE dstack or simulated');
  });

  describe('ATTESTATION_MODE=dstack with attestation required', () => {
    let t: TestApp;
    let key: string;
    let socketPath: string;
    let sim: Simulator | null = null;
    const upstreamCalls = (): number => fake.requests.length;

    before(async () => {
      socketPath = join(dir, 'dstack.sock');
      t = await startTestApp({ ATTESTATION_MODE: 'dstack', DSTACK_SOCKET: socketPath, ATTESTATION_REQUIRED: 'true', OPENAI_BASE_URL: `${fake.url}/v1` });
      key = (await t.userWithKey()).key;
    });
    after(async () => { await t.close(); await sim?.close(); });

    const post = (path: string, body: string): Promise<Response> => t.request(path, { key, method: 'POST', headers: { 'content-type': 'application/json' }, body });

    it('no socket: /readyz 503 naming it, every upstream-bound route 503 attestation_unavailable, and nothing reaches upstream', async () => {
      const ready = await t.request('/readyz');
      expect(ready.status).to.equal(503);
      expect((await ready.json()).checks.attestation).to.match(/^unavailable: dstack socket .*dstack\.sock not found/);
      const before = upstreamCalls();
      const refused: Response[] = [
        await post('/v1/chat/completions', chat),
        await post('/v1/chat/completions', JSON.stringify({ ...JSON.parse(chat), stream: true })),
        await post('/v1/responses', JSON.stringify({ model: 'fake-model', input: 'hi' })),
        await post('/v1/embeddings', JSON.stringify({ model: 'fake-model', input: 'hi' })),
        await t.request('/v1/models', { key }),
        await post('/v1/conversations', '{}'),
      ];
      for (const res of refused) {
        expect(res.status, res.url).to.equal(503);
        expect((await res.json()).error, res.url).to.include({ code: 'attestation_unavailable', type: 'server_error' });
      }
      expect(upstreamCalls(), 'nothing reached the model API').to.equal(before);
      expect(t.logs.entries().filter((l) => l['event'] === 'attestation.unavailable')).to.have.length(1);
      // Not-logged-in callers still get 401 first; the gate is not a way to probe accounts.
      expect((await t.request('/v1/chat/completions', { method: 'POST', body: chat })).status).to.equal(401);
    });

    it('recovers by itself when the socket answers: /readyz 200, then inference is served', async () => {
      sim = await startSimulator({ socketPath, seedFile: join(dir, 'seed'), appCompose: '{}' });
      const ready = await t.request('/readyz');
      expect(ready.status).to.equal(200);
      expect((await ready.json()).checks.attestation).to.equal('ok');
      const res = await post('/v1/chat/completions', chat);
      expect(res.status).to.equal(200);
      expect(t.logs.entries().filter((l) => l['event'] === 'attestation.recovered')).to.have.length(1);
    });

    it('a socket that fails while serving closes the gate at once (a failing quote is enough), and it reopens when the socket is back', async () => {
      await sim!.close();
      sim = null;
      expect((await t.request(`/v1/attestation/report?nonce=${'ab'.repeat(32)}`)).status).to.equal(503);
      const res = await post('/v1/chat/completions', chat);
      expect(res.status).to.equal(503);
      expect((await res.json()).error.code).to.equal('attestation_unavailable');
      expect((await t.request('/readyz')).status).to.equal(503);
      sim = await startSimulator({ socketPath, seedFile: join(dir, 'seed'), appCompose: '{}' });
      expect((await t.request('/readyz')).status).to.equal(200);
      expect((await post('/v1/chat/completions', chat)).status).to.equal(200);
    });
  });

  it('ATTESTATION_REQUIRED=false: the same missing socket is reported but neither readiness nor inference is refused', async () => {
    const t = await startTestApp({ ATTESTATION_MODE: 'dstack', DSTACK_SOCKET: join(dir, 'none.sock'), ATTESTATION_REQUIRED: 'false', OPENAI_BASE_URL: `${fake.url}/v1` });
    try {
      const ready = await t.request('/readyz');
      expect(ready.status).to.equal(200);
      expect((await ready.json()).checks.attestation).to.match(/^unavailable: .*\(not required: ATTESTATION_REQUIRED=false\)$/);
      const { key } = await t.userWithKey();
      expect((await t.request('/v1/chat/completions', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: chat })).status).to.equal(200);
      expect((await t.request(`/v1/attestation/report?nonce=${'ab'.repeat(32)}`)).status).to.equal(503);
    } finally {
      await t.close();
    }
  });
});
