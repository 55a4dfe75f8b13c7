// Resolves where the database is (DATABASE_URL or embedded), opens the pool and applies
// migrations: what both the server and the CLI need before touching data.
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { createPool } from './pool.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded.ts';
import type { LockRole } from './data-dir-lock.ts';
import { runMigrations, type RoutineSource } from './migrate.ts';

export interface Database {
  readonly pool: pg.Pool;
  readonly url: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

/** Connections to the embedded database: one (see openDatabase). */
export const EMBEDDED_POOL_MAX = 1;

/**
 * Opens the configured database; with `migrate`, brings the schema and the routines up to date
 * first. `role` says who asks, for the embedded database's lock: a server never shares DATA_DIR
 * with another server, a CLI command joins one (src/db/embedded.ts).
 */
export async function openDatabase(config: Config, logger: Logger, options: ({ migrate: false } | { migrate: true; routines: readonly RoutineSource[] }) & { role: LockRole }): Promise<Database> {
  let embedded: EmbeddedPostgres | null = null;
  let url = config.database.url;
  if (url === null) {
    embedded = await startEmbeddedPostgres(config.dataDir, {
      role: options.role,
      onWait: (reason) => logger.warn({ event: 'db.embedded_waiting', reason }),
    });
    url = embedded.url;
    logger.info({ event: 'db.embedded', owned: embedded.owned, data_dir: config.dataDir });
  }
  try {
    if (options.migrate) {
      const ran = await runMigrations(url, 'up', logger, { embedded: embedded !== null, routines: options.routines });
      if (ran.length > 0) logger.info({ event: 'db.migrated', migrations: ran });
    }
    embedded?.share();
    // The embedded database is one PGlite session behind a multiplexer: several connections'
    // statements interleave on it, and with one connection in a transaction while another ran
    // a statement, results reached the wrong caller (limits checks failed with malformed rows,
    // requests hung; 40 concurrent completions with response signing on were enough). PGlite
    // runs one statement at a time anyway, so one connection costs nothing and keeps each
    // transaction whole. (No code here holds a transaction while waiting for another connection.)
    const pool = createPool(url, { max: embedded ? EMBEDDED_POOL_MAX : config.database.poolMax, logger });
    const e = embedded;
    return {
      pool,
      url,
      embedded: e !== null,
      async close() {
        await pool.end().catch(() => {});
        await e?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}
