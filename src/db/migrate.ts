// Schema migrations with node-pg-migrate's programmatic runner over one dedicated client,
// so its advisory lock (real Postgres) holds for the whole run; then the routines: re-appliable
// SQL sources (functions, `create or replace`) that hold the current definition of code that
// runs in Postgres, applied after every full `up` so a fresh database and an upgraded one end
// up with the same functions. Migrations keep only schema changes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../log.ts';
import { appRoot } from '../app-root.ts';

export const MIGRATIONS_DIR = join(appRoot(), 'migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';

/** A re-appliable SQL source: statements that may run any number of times (`create or replace`, `drop ... if exists`). */
export interface RoutineSource {
  /** for logs */
  readonly name: string;
  readonly file: URL;
}

/** Serialises replicas applying routines together (concurrent `create or replace` of one function fails). */
const ROUTINES_LOCK = "select pg_advisory_xact_lock(hashtextextended('cloister.routines', 0))";

/**
 * Applies the routine sources in order, in one transaction (all or none), under an advisory lock
 * on a real server so that replicas starting together take turns.
 */
export async function applyRoutines(client: pg.ClientBase, sources: readonly RoutineSource[], options: { embedded?: boolean } = {}): Promise<void> {
  const texts = sources.map((s) => ({ name: s.name, sql: readFileSync(s.file, 'utf8') }));
  await client.query('begin');
  try {
    if (options.embedded !== true) await client.query(ROUTINES_LOCK);
    for (const t of texts) {
      try {
        await client.query(t.sql);
      } catch (e) {
        throw new Error(`routines '${t.name}' failed: ${(e as Error).message}`, { cause: e });
      }
    }
    await client.query('commit');
  } catch (e) {
    await client.query('rollback').catch(() => {});
    throw e;
  }
}

/**
 * Applies (or reverts one of) the migrations; returns the names that ran. After a full `up` it
 * applies `routines` too, whether or not a migration ran. (A partial `up` or a `down` leaves the
 * functions as they are: the next full `up` or start brings them back in step.)
 */
export async function runMigrations(url: string, direction: 'up' | 'down', logger: Logger, options: { routines: readonly RoutineSource[]; count?: number; embedded?: boolean }): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'cloister-migrate' });
  await client.connect();
  try {
    const ran = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction,
      count: options.count ?? (direction === 'down' ? 1 : Infinity),
      // PGlite multiplexes every connection onto one session, so advisory locks exclude nothing there.
      noLock: options.embedded === true,
      // Replicas starting together: the others wait for the first to finish (and then find
      // nothing left to apply) instead of failing their start.
      advisoryLockMode: 'wait',
      singleTransaction: true,
      checkOrder: true,
      log: (msg: string) => logger.debug({ event: 'db.migrate', detail: msg.slice(0, 200) }),
      logger: { debug: () => {}, info: () => {}, warn: (m: string) => logger.warn({ event: 'db.migrate.warn', detail: String(m).slice(0, 200) }), error: (m: string) => logger.error({ event: 'db.migrate.error', detail: String(m).slice(0, 200) }) },
    });
    if (direction === 'up' && options.count === undefined) {
      await applyRoutines(client, options.routines, { embedded: options.embedded });
      logger.debug({ event: 'db.routines', sources: options.routines.map((r) => r.name) });
    }
    return ran.map((m) => m.name);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Names of the migration files shipped with this build, in order. */
export function expectedMigrations(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d+_.+\.(sql|js|ts)$/.test(f))
    .sort()
    .map((f) => f.replace(/\.(sql|js|ts)$/, ''));
}

/** Migrations that exist on disk but are not recorded as applied. */
export async function pendingMigrations(db: Pick<pg.Pool, 'query'>): Promise<string[]> {
  const expected = expectedMigrations();
  const res = await db.query<{ name: string }>(`select name from ${MIGRATIONS_TABLE}`).catch((e: { code?: string }) => {
    if (e.code === '42P01') return { rows: [] as { name: string }[] };
    throw e;
  });
  const applied = new Set(res.rows.map((r) => r.name));
  return expected.filter((n) => !applied.has(n));
}
