// Finding 21.3: every `503 upstream_not_configured` was logged at error with a stack; `GET /`
// was logged with route `unmatched`; `users list` showed LAST ACTIVE "-" for a user who had
// made 18 API-key requests. Logs and lists an operator can act on.
import { expect } from 'chai';
import { main } from '../../../src/cli.ts';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { cliIo } from '../../support/cli-io.ts';
import { waitFor } from '../../support/log-capture.ts';

describe('operator logs: expected refusals, unmatched routes, last activity', () => {
  let t: TestApp;
  beforeEach(async () => { await resetDatabase(); t = await startTestApp(); });
  afterEach(() => t.close());

  const linesOf = (requestId: string) => t.logs.entries().filter((e) => e.request_id === requestId);

  it('logs an expected refusal (no upstream configured) at warn, by code, without a stack', async () => {
    const { key } = await t.userWithKey();
    for (const [path, method] of [['/v1/chat/completions', 'POST'], ['/v1/models', 'GET']] as const) {
      const id = `refused-${method}`;
      const res = await t.request(path, { key, method, headers: { 'content-type': 'application/json', 'x-request-id': id }, body: method === 'POST' ? '{"model":"m","messages":[]}' : undefined });
      expect(res.status).to.equal(503);
      await waitFor(() => linesOf(id).some((e) => e.event === 'request'));
      const refused = linesOf(id).find((e) => e.event === 'request.refused');
      expect(refused, path).to.include({ level: 'warn', error_code: 'upstream_not_configured' });
      expect(JSON.stringify(linesOf(id))).not.to.contain('frames');
      expect(linesOf(id).some((e) => e.level === 'error'), 'nothing at error').to.equal(false);
    }
  });

  it('names the web app\'s pages by their pattern, and an unmatched request as no route at all', async () => {
    for (const [path, route] of [['/', '/'], ['/account', '/account'], ['/c/conv_123', '/c/:id'], ['/no-such-page', null], ['/V1/MODELS', null]] as const) {
      const id = `page-${path.replace(/\W/g, '') || 'root'}`;
      const res = await t.request(path, { headers: { 'x-request-id': id, accept: 'application/json' } });
      await res.arrayBuffer();
      await waitFor(() => linesOf(id).some((e) => e.event === 'request'));
      expect(linesOf(id).find((e) => e.event === 'request')!.route, path).to.equal(route);
    }
    const metrics = await t.app.metrics.registry.metrics();
    expect(metrics).to.contain('route="(unmatched)"');
    expect(metrics).not.to.contain('route="unmatched"');
  });

  it('shows a user who only used an API key as active in users list', async () => {
    const { key, email, userId } = await t.userWithKey();
    for (let i = 0; i < 3; i++) expect((await t.request('/v1/users/me', { key })).status).to.equal(200);
    const row = async () => (await testDatabase().admin.query('select last_active_at from users where id = $1', [userId])).rows[0].last_active_at as Date | null;
    let seen: Date | null = null;
    for (let i = 0; i < 200 && seen === null; i++) {
      seen = await row();
      await new Promise((r) => setImmediate(r));
    }
    expect(seen).to.be.instanceOf(Date);
    const io = cliIo({ DATABASE_URL: testDatabase().url });
    expect(await main(['users', 'list', '--query', email], io.value)).to.equal(0);
    const line = io.out.find((l) => l.includes(email))!;
    expect(line.split('\t')[6], 'LAST ACTIVE').to.equal(t.clock.now().toISOString());
  });
});
