import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { expectedMigrations, runMigrations } from '../../../src/db/migrate.ts';
import { startEmbeddedPostgres } from '../../../src/db/embedded.ts';
import { createLogger } from '../../../src/log.ts';
import { SQL_ROUTINES } from '../../../src/app.ts';
import { testDatabase, resetDatabase } from '../../support/test-database.ts';
import { startTestApp } from '../../support/test-app.ts';
import { cuttableRelay } from '../../support/cuttable-relay.ts';

describe('database lifecycle', () => {
  beforeEach(() => resetDatabase());

  it('migrations are idempotent: running them again applies nothing', async () => {
    const again = await runMigrations(testDatabase().url, 'up', createLogger('silent'), { embedded: testDatabase().kind === 'embedded', routines: SQL_ROUTINES });
    expect(again).to.deep.equal([]);
  });

  it('replicas starting together on a fresh database both migrate it: one applies, the other waits', async function () {
    if (testDatabase().kind === 'embedded') this.skip(); // one process owns an embedded database
    const admin = new pg.Client({ connectionString: testDatabase().url });
    await admin.connect();
    const name = `cloister_migrate_race_${process.pid}`;
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    try {
      const url = new URL(testDatabase().url);
      url.pathname = `/${name}`;
      const logger = createLogger('silent');
      const [a, b] = await Promise.all([runMigrations(url.href, 'up', logger, { routines: SQL_ROUTINES }), runMigrations(url.href, 'up', logger, { routines: SQL_ROUTINES })]);
      const applied = [...a, ...b].sort();
      expect(applied).to.deep.equal(expectedMigrations());
      expect([a.length, b.length].sort()).to.deep.equal([0, applied.length]);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });

  it('/readyz goes 503 when the database goes away and back to 200 when it returns', async () => {
    const relay = await cuttableRelay(new URL(testDatabase().url));
    const pool = new pg.Pool({ connectionString: relay.url, max: 2, connectionTimeoutMillis: 1000 });
    pool.on('error', () => {});
    const t = await startTestApp({}, { database: { pool, url: relay.url, embedded: testDatabase().kind === 'embedded', close: () => pool.end() } });
    try {
      const up = await t.request('/readyz');
      expect(up.status).to.equal(200);
      expect(await up.json()).to.deep.equal({ status: 'ready', checks: { database: 'ok', migrations: 'ok', attestation: 'off' } });
      await relay.cut();
      const down = await t.request('/readyz');
      expect(down.status).to.equal(503);
      expect((await down.json()).checks.database).to.equal('unreachable');
      expect((await t.request('/healthz')).status, 'liveness does not depend on the database').to.equal(200);
      await relay.restore();
      const back = await t.request('/readyz');
      expect(back.status).to.equal(200);
    } finally {
      await t.close();
      await relay.cut();
    }
  });

  it('embedded data survives a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cloister-embedded-'));
    try {
      const first = await startEmbeddedPostgres(dir);
      first.share();
      const c1 = new pg.Client({ connectionString: first.url });
      await c1.connect();
      await c1.query('create table kept (v text)');
      await c1.query("insert into kept values ('still here')");
      await c1.end();
      await first.stop();

      const second = await startEmbeddedPostgres(dir);
      expect(second.owned).to.equal(true);
      const c2 = new pg.Client({ connectionString: second.url });
      await c2.connect();
      expect((await c2.query('select v from kept')).rows).to.deep.equal([{ v: 'still here' }]);
      await c2.end();
      await second.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
