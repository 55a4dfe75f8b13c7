// One database per test run: a fresh database on the real server when TEST_DATABASE_URL is
// set, otherwise an in-memory embedded PGlite. Suites share it and call resetDatabase()
// (truncate) in beforeEach, because PGlite costs seconds to start.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { runMigrations, MIGRATIONS_TABLE } from '../../src/db/migrate.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { createLogger } from '../../src/log.ts';
import { SQL_ROUTINES } from '../../src/app.ts';

export interface SharedTestDatabase {
  readonly url: string;
  readonly kind: 'postgres' | 'embedded';
  readonly admin: pg.Pool;
}

let shared: SharedTestDatabase | null = null;
let embedded: EmbeddedPostgres | null = null;
let dropUrl: { adminUrl: string; name: string } | null = null;

/** Creates (once per run) and migrates the shared test database. */
export async function setUpTestDatabase(): Promise<SharedTestDatabase> {
  if (shared) return shared;
  const base = process.env.TEST_DATABASE_URL;
  let url: string;
  if (base) {
    const name = `cloister_test_${process.pid}_${randomBytes(3).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.href;
    dropUrl = { adminUrl: base, name };
  } else {
    embedded = await startEmbeddedPostgres('memory://');
    url = embedded.url;
  }
  await runMigrations(url, 'up', createLogger('silent'), { embedded: !base, routines: SQL_ROUTINES });
  const adminPool = new pg.Pool({ connectionString: url, max: 2 });
  adminPool.on('error', () => {}); // an idle connection ended by the server is not a test failure
  shared = { url, kind: base ? 'postgres' : 'embedded', admin: adminPool };
  return shared;
}

/** The shared database; setUpTestDatabase must have run (the global hooks do it). */
export function testDatabase(): SharedTestDatabase {
  if (!shared) throw new Error('test database not set up: is test/support/global-hooks.ts loaded?');
  return shared;
}

/** Empties every application table (keeps the migrations record). */
export async function resetDatabase(): Promise<void> {
  const { admin } = testDatabase();
  const res = await admin.query<{ tablename: string }>(
    `select tablename from pg_tables where schemaname = current_schema() and tablename <> $1`, [MIGRATIONS_TABLE]);
  if (res.rows.length === 0) return;
  await admin.query(`truncate ${res.rows.map((r) => `"${r.tablename}"`).join(', ')} restart identity cascade`);
}

/** Drops the run's database / stops the embedded server. */
export async function tearDownTestDatabase(): Promise<void> {
  if (!shared) return;
  await shared.admin.end();
  shared = null;
  if (embedded) await embedded.stop();
  embedded = null;
  if (dropUrl) {
    const admin = new pg.Client({ connectionString: dropUrl.adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${dropUrl.name} with (force)`);
    await admin.end();
    dropUrl = null;
  }
}
