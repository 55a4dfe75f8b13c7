import { expect } from 'chai';
import { main } from '../../../src/cli.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startTestApp } from '../../support/test-app.ts';
import { cliIo as io } from '../../support/cli-io.ts';

describe('CLI', () => {
  beforeEach(() => resetDatabase());

  it('users create prints the new user id; keys create prints the key alone on the last line; the key works', async () => {
    const a = io();
    expect(await main(['users', 'create', '--email', 'cli@example.com', '--admin'], a.value)).to.equal(0);
    expect(a.out.at(-1)).to.match(/^[0-9a-f-]{36}$/);
    const userId = a.out.at(-1)!;

    const b = io();
    expect(await main(['keys', 'create', '--email', 'cli@example.com', '--name', 'laptop'], b.value)).to.equal(0);
    const key = b.out.at(-1)!;
    expect(key).to.match(/^ck_[a-z2-7]{12}_[A-Za-z0-9_-]{43}$/);

    const t = await startTestApp();
    try {
      const me = await t.request('/v1/users/me', { key });
      expect(me.status).to.equal(200);
      expect(await me.json()).to.include({ id: userId, is_admin: true });

      const c = io();
      expect(await main(['keys', 'list', '--email', 'cli@example.com'], c.value)).to.equal(0);
      expect(c.out.join('\n')).to.contain(key.slice(3, 15)).and.contain('laptop').and.contain('active');
      expect(c.out.join('\n')).to.not.contain(key.slice(16));

      const d = io();
      expect(await main(['keys', 'revoke', '--prefix', key.slice(3, 15)], d.value)).to.equal(0);
      // The CLI is another process; the server rechecks even a cached key, so the next request is refused.
      expect((await t.request('/v1/users/me', { key })).status).to.equal(401);
    } finally {
      await t.close();
    }
  });

  it('exits 2 with usage for bad arguments', async () => {
    for (const argv of [['keys'], ['keys', 'create'], ['users', 'create', '--mail', 'x'], ['frobnicate'], ['migrate', 'sideways'], ['keys', 'revoke', '--prefix', 'NOT-A-PREFIX']]) {
      const x = io();
      expect(await main(argv, x.value), argv.join(' ')).to.equal(2);
      expect(x.err.join('\n')).to.contain('usage: cloister');
    }
  });

  it('exits 1 with a clear message for a duplicate user or an unknown email', async () => {
    const a = io();
    await main(['users', 'create', '--email', 'dup@example.com'], a.value);
    const b = io();
    expect(await main(['users', 'create', '--email', 'DUP@example.com'], b.value)).to.equal(1);
    expect(b.err.join()).to.contain('already exists');
    const c = io();
    expect(await main(['keys', 'create', '--email', 'nobody@example.com'], c.value)).to.equal(1);
    expect(c.err.join()).to.contain('no user with email');
  });

  it('exits 1 naming the bad variable when the configuration is invalid', async () => {
    const x = io({ PORT: 'abc' });
    expect(await main(['users', 'create', '--email', 'x@example.com'], x.value)).to.equal(1);
    expect(x.err.join()).to.contain('PORT');
  });

  it('migrate is idempotent: a second run applies nothing', async () => {
    const a = io();
    expect(await main(['migrate'], a.value)).to.equal(0);
    expect(a.out.join()).to.equal('no migrations to run');
  });

  it('probe-upstream exits 1 when no upstream is configured', async () => {
    const x = io();
    expect(await main(['probe-upstream'], x.value)).to.equal(1);
    expect(x.err.join()).to.contain('OPENAI_BASE_URL is not set');
  });
});
