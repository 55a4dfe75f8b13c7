// The limits' code in Postgres comes from one re-appliable source (src/limits/limits.sql), applied
// by the migration runner after the migrations: applying it again changes nothing, replicas
// applying it together do not collide, and a fresh database and one upgraded from the build
// before the source existed (functions from migration 0005 only) end up with the same schema and
// the same functions.
import { expect } from 'chai';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { applyRoutines, expectedMigrations, runMigrations, MIGRATIONS_DIR, MIGRATIONS_TABLE } from '../../../src/db/migrate.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/db/embedded.ts';
import { createLogger } from '../../../src/log.ts';
import { SQL_ROUTINES } from '../../../src/app.ts';
import { testDatabase } from '../../support/test-database.ts';

/** Everything the schema holds that code could depend on, as comparable text. */
async function schemaOf(db: Pick<pg.ClientBase, 'query'>): Promise<{ functions: string[]; columns: string[]; indexes: string[]; constraints: string[]; triggers: string[] }> {
  const rows = async (sql: string) => (await db.query<{ v: string }>(sql)).rows.map((r) => r.v).sort();
  return {
    functions: await rows(`select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || pg_get_functiondef(p.oid) as v
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = current_schema()`),
    columns: await rows(`select table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') as v
      from information_schema.columns where table_schema = current_schema() and table_name <> '${MIGRATIONS_TABLE}'`),
    indexes: await rows(`select indexdef as v from pg_indexes where schemaname = current_schema() and tablename <> '${MIGRATIONS_TABLE}'`),
    constraints: await rows(`select c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) as v
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = current_schema() and c.conrelid::regclass::text <> '${MIGRATIONS_TABLE}'`),
    triggers: await rows('select pg_get_triggerdef(oid) as v from pg_trigger where not tgisinternal'),
  };
}

/** A database of its own (a new database on the real server, or a new embedded one). */
async function scratchDatabase(tag: string): Promise<{ url: string; embedded: boolean; drop(): Promise<void> }> {
  if (testDatabase().kind === 'embedded') {
    const e: EmbeddedPostgres = await startEmbeddedPostgres('memory://');
    return { url: e.url, embedded: true, drop: () => e.stop() };
  }
  const name = `cloister_routines_${tag}_${process.pid}`;
  const admin = new pg.Client({ connectionString: testDatabase().url });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(testDatabase().url);
  u.pathname = `/${name}`;
  return {
    url: u.href,
    embedded: false,
    async drop() {
      const c = new pg.Client({ connectionString: testDatabase().url });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('limits: SQL routines', function () {
  this.timeout(60_000);
  const logger = createLogger('silent');

  it('applying the routines again changes nothing, and the functions still answer', async () => {
    await withClient(testDatabase().url, async (c) => {
      const before = await schemaOf(c);
      await applyRoutines(c, SQL_ROUTINES, { embedded: testDatabase().kind === 'embedded' });
      await applyRoutines(c, SQL_ROUTINES, { embedded: testDatabase().kind === 'embedded' });
      expect(await schemaOf(c)).to.deep.equal(before);
      expect(before.functions.some((f) => f.startsWith('cloister_limit_acquire('))).to.equal(true);
      const take = async () => (await c.query<{ allowed: boolean }>(`select allowed from cloister_gcra_take('routines-test', 1000, 1, 60000)`)).rows[0]!.allowed;
      expect([await take(), await take()]).to.deep.equal([true, false]);
      await c.query(`delete from rate_limit_buckets where bucket = 'routines-test'`);
    });
  });

  it('replicas applying the routines at the same time both succeed', async function () {
    if (testDatabase().kind === 'embedded') this.skip(); // one process owns an embedded database
    const url = testDatabase().url;
    await Promise.all([1, 2, 3].map(() => withClient(url, (c) => applyRoutines(c, SQL_ROUTINES))));
  });

  it('a fresh database and one upgraded from the build before the routines end up identical', async () => {
    const fresh = await scratchDatabase('fresh');
    const upgraded = await scratchDatabase('upgraded');
    try {
      await runMigrations(fresh.url, 'up', logger, { embedded: fresh.embedded, routines: SQL_ROUTINES });
      // The build before: migrations up to 0006 with node-pg-migrate alone, its functions from 0005.
      const before = expectedMigrations().indexOf('0006_principal_changes') + 1;
      await withClient(upgraded.url, (c) => runner({
        dbClient: c, dir: MIGRATIONS_DIR, migrationsTable: MIGRATIONS_TABLE, direction: 'up', count: before,
        noLock: true, singleTransaction: true, log: () => {}, logger: { debug() {}, info() {}, warn() {}, error() {} },
      }));
      await runMigrations(upgraded.url, 'up', logger, { embedded: upgraded.embedded, routines: SQL_ROUTINES });
      const [a, b] = await Promise.all([withClient(fresh.url, schemaOf), withClient(upgraded.url, schemaOf)]);
      expect(b).to.deep.equal(a);
      // And both hold exactly the source's definitions: the source is the current code.
      expect(a.functions.filter((f) => f.startsWith('cloister_')).length).to.be.greaterThan(4);
    } finally {
      await fresh.drop();
      await upgraded.drop();
    }
  });
});
