import { expect } from 'chai';
import { main } from '../../../src/cli.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startTestApp } from '../../support/test-app.ts';
import { cliIo } from '../../support/cli-io.ts';
import { auditRows } from '../../support/admin-helpers.ts';

const TIERS = { RATE_LIMIT_TIERS: JSON.stringify({ pro: { rpm: 600 } }) };

async function run(argv: string[], env: Record<string, string> = {}) {
  const io = cliIo(env);
  const code = await main(argv, io.value);
  return { code, out: io.out, err: io.err };
}

describe('CLI: users list, disable, enable, set-tier', () => {
  beforeEach(() => resetDatabase());

  it('lists users as a table or JSON, filtered by --query', async () => {
    for (const email of ['ann@example.com', 'ben@example.com', 'annette@example.com']) expect((await run(['users', 'create', '--email', email])).code).to.equal(0);
    const table = await run(['users', 'list', '--query', 'ANN']);
    expect(table.code).to.equal(0);
    expect(table.out[0]).to.match(/^ID\tEMAIL\tTIER\tSTATUS/);
    expect(table.out.slice(1).map((l) => l.split('\t')[1]).sort()).to.deep.equal(['ann@example.com', 'annette@example.com']);
    expect(table.out[1]).to.contain('\tdefault\tactive\t');
    const json = await run(['users', 'list', '--json']);
    const users = JSON.parse(json.out.join('\n'));
    expect(users.map((u: { email: string }) => u.email).sort()).to.deep.equal(['ann@example.com', 'annette@example.com', 'ben@example.com']);
    expect(users[0]).to.include.keys('id', 'tier', 'limit_overrides', 'disabled', 'is_admin', 'usage_this_month');
  });

  it('disable cuts a running server\'s API keys at once; enable lets the user back; both audited with via cli', async () => {
    const t = await startTestApp();
    try {
      const u = await t.userWithKey('cli-victim@example.com');
      expect((await t.request('/v1/users/me', { key: u.key })).status).to.equal(200);
      const off = await run(['users', 'disable', '--email', 'cli-victim@example.com']);
      expect(off.code).to.equal(0);
      expect(off.out.join()).to.contain('disabled cli-victim@example.com');
      expect((await t.request('/v1/users/me', { key: u.key })).status).to.equal(401);
      expect((await run(['users', 'enable', '--email', 'cli-victim@example.com'])).code).to.equal(0);
      const row = (await testDatabase().admin.query('select disabled_at from users where id = $1', [u.userId])).rows[0];
      expect(row.disabled_at).to.equal(null);
      expect((await t.request('/v1/users/me', { key: u.key })).status, 'revoked keys stay revoked').to.equal(401);
      expect((await auditRows()).map((r) => [r.action, r.actor_user_id, r.subject_user_id, r.client_ip, r.details.via])).to.deep.equal([
        ['user.disabled', null, u.userId, null, 'cli'],
        ['user.enabled', null, u.userId, null, 'cli'],
      ]);
    } finally {
      await t.close();
    }
  });

  it('set-tier validates like the API, exits 2 on bad input and changes nothing', async () => {
    await run(['users', 'create', '--email', 'tiered@example.com']);
    const stored = async () => (await testDatabase().admin.query("select tier, limit_overrides from users where email = 'tiered@example.com'")).rows[0];
    for (const argv of [
      ['--tier', 'gold'], ['--overrides', '{"rpm":0}'], ['--overrides', '{"bogus":1}'], ['--overrides', 'not json'], [],
    ]) {
      const r = await run(['users', 'set-tier', '--email', 'tiered@example.com', ...argv], TIERS);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.err.join('\n')).to.contain('usage: cloister');
    }
    expect(await stored()).to.deep.equal({ tier: 'default', limit_overrides: {} });
    const ok = await run(['users', 'set-tier', '--email', 'tiered@example.com', '--tier', 'pro', '--overrides', '{"rpm": 60, "daily_tokens": null}'], TIERS);
    expect(ok.code).to.equal(0);
    expect(await stored()).to.deep.equal({ tier: 'pro', limit_overrides: { rpm: 60, daily_tokens: null } });
    const [row] = await auditRows('user.limits_changed');
    expect(row!.details).to.deep.equal({ via: 'cli', tier: 'pro', previous_tier: 'default', overrides: { rpm: 60, daily_tokens: null }, previous_overrides: {} });
  });

  it('exits 1 for an unknown email and 2 without one', async () => {
    for (const sub of ['disable', 'enable']) {
      const r = await run(['users', sub, '--email', 'nobody@example.com']);
      expect(r.code).to.equal(1);
      expect(r.err.join()).to.contain('no user with email');
      expect((await run(['users', sub])).code).to.equal(2);
    }
    expect((await run(['users', 'set-tier', '--email', 'nobody@example.com', '--tier', 'default'])).code).to.equal(1);
  });

  it('records keys created and revoked at the CLI', async () => {
    await run(['users', 'create', '--email', 'keys@example.com']);
    const key = (await run(['keys', 'create', '--email', 'keys@example.com'])).out.at(-1)!;
    expect((await run(['keys', 'revoke', '--prefix', key.slice(3, 15)])).code).to.equal(0);
    const rows = await auditRows();
    expect(rows.map((r) => [r.action, r.actor_user_id, r.details.via, r.details.key_prefix])).to.deep.equal([
      ['api_key.created', null, 'cli', key.slice(3, 15)],
      ['api_key.revoked', null, 'cli', key.slice(3, 15)],
    ]);
    expect(JSON.stringify(rows)).to.not.contain(key.slice(16));
  });
});
