// The pg pool and the transaction helper. A failed ROLLBACK destroys the connection
// instead of returning a client in an unknown state to the pool.
import pg from 'pg';
import type { Logger } from '../log.ts';
import { translatePgError } from './pg-errors.ts';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** Anything that can run a query: the pool or a client inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Opens a pool to `url`; pool errors on idle clients are logged, never thrown. */
export function createPool(url: string, options: { max: number; logger: Logger; applicationName?: string }): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'cloister',
  });
  pool.on('error', (err) => options.logger.warn({ event: 'db.idle_client_error', err: { type: err.name, code: (err as { code?: string }).code } }));
  return pool;
}

/** Runs `fn` inside BEGIN/COMMIT on one client; Postgres errors are translated. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect().catch((e: unknown) => { throw translatePgError(e); });
  let destroy: Error | undefined;
  // A checked-out client has no pool listener: a socket error mid-transaction would otherwise be
  // an uncaught 'error' event. The failing query rejects anyway; remember to destroy the client.
  const onError = (e: Error) => { destroy = e; };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      destroy = rollbackError instanceof Error ? rollbackError : new Error('rollback failed');
    }
    throw translatePgError(e);
  } finally {
    client.off('error', onError);
    client.release(destroy);
  }
}

/**
 * One query with Postgres errors translated to AppErrors. With `name` the statement is prepared
 * once per connection and then only bound and executed (no parse and plan per call): only for
 * hot statements on a real server, since the embedded database shares one backend between all
 * its connections and would see the same name prepared twice.
 */
export async function query<R extends pg.QueryResultRow>(db: Queryable, text: string, values: readonly unknown[] = [], name?: string): Promise<pg.QueryResult<R>> {
  try {
    return await (name === undefined ? db.query<R>(text, values as unknown[]) : db.query<R>({ name, text, values: values as unknown[] }));
  } catch (e) {
    throw translatePgError(e);
  }
}
