// Schema migrations with node-pg-migrate's programmatic runner over one dedicated client,
// so its advisory lock (real Postgres) holds for the whole run.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../log.ts';
import { appRoot } from '../app-root.ts';

export const MIGRATIONS_DIR = join(appRoot(), 'migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';

/** Applies (or reverts one of) the migrations; returns the names that ran. */
export async function runMigrations(url: string, direction: 'up' | 'down', logger: Logger, options: { count?: number; embedded?: boolean } = {}): Promise<string[]> {
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
