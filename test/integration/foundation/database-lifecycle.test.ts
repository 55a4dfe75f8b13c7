import { expect } from 'chai';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runMigrations } from '../../../src/db/migrate.ts';
import { startEmbeddedPostgres } from '../../../src/db/embedded.ts';
import { createLogger } from '../../../src/log.ts';
import { testDatabase, resetDatabase } from '../../support/test-database.ts';
import { startTestApp } from '../../support/test-app.ts';

/** A TCP relay in front of the database that the test can cut and restore. */
async function cuttableRelay(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const open = () => new Promise<void>((resolve) => {
    server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => { client.destroy(); upstream.destroy(); };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    server.listen(port, '127.0.0.1', () => { port = (server!.address() as net.AddressInfo).port; resolve(); });
  });
  await open();
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.href,
    cut: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); sockets.clear(); server!.close(() => resolve()); }),
    restore: open,
  };
}

describe('database lifecycle', () => {
  beforeEach(() => resetDatabase());

  it('migrations are idempotent: running them again applies nothing', async () => {
    const again = await runMigrations(testDatabase().url, 'up', createLogger('silent'), { embedded: testDatabase().kind === 'embedded' });
    expect(again).to.deep.equal([]);
  });

  it('/readyz goes 503 when the database goes away and back to 200 when it returns', async () => {
    const relay = await cuttableRelay(new URL(testDatabase().url));
    const pool = new pg.Pool({ connectionString: relay.url, max: 2, connectionTimeoutMillis: 1000 });
    pool.on('error', () => {});
    const t = await startTestApp({}, { database: { pool, url: relay.url, embedded: false, close: () => pool.end() } });
    try {
      const up = await t.request('/readyz');
      expect(up.status).to.equal(200);
      expect(await up.json()).to.deep.equal({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
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
