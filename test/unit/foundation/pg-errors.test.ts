import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import type pg from 'pg';
import { translatePgError } from '../../../src/db/pg-errors.ts';
import { withTransaction } from '../../../src/db/pool.ts';
import { AppError } from '../../../src/errors.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';

function pgError(code: string, constraint?: string, detail = 'Key (email)=(secret@example.com) already exists.') {
  return Object.assign(new Error('duplicate key value violates unique constraint'), { code, constraint, detail });
}

describe('Postgres error translation', () => {
  it('maps a known constraint to its own code, message and param', () => {
    const e = translatePgError(pgError('23505', 'users_email_key')) as AppError;
    expect(e).to.be.instanceOf(AppError);
    expect(e.code).to.equal('conflict');
    expect(e.param).to.equal('email');
    expect(e.message).to.not.contain('secret@example.com');
  });

  it('maps SQLSTATE classes: 08 and 57 -> 503, 22 -> 400, 23503 -> 404', () => {
    expect((translatePgError(pgError('08006')) as AppError).status).to.equal(503);
    expect((translatePgError(pgError('57P01')) as AppError).status).to.equal(503);
    expect((translatePgError(pgError('22P02')) as AppError).status).to.equal(400);
    expect((translatePgError(pgError('23503')) as AppError).status).to.equal(404);
  });

  // Finding of the fault suite (issue 21): while Postgres restarted, a connection refused during
  // an ownership write (Node's ECONNREFUSED, whose `code` is no SQLSTATE) was passed through and
  // answered 500 internal_error instead of 503.
  it('a refused or broken connection to the database (a Node socket error) is a 503', () => {
    for (const [code, syscall] of [['ECONNREFUSED', 'connect'], ['ECONNRESET', 'read'], ['EPIPE', 'write'], ['ETIMEDOUT', 'connect']]) {
      const e = translatePgError(Object.assign(new Error(`${syscall} ${code} 127.0.0.1:5432`), { code, syscall, errno: -1 })) as AppError;
      expect(e, code).to.be.instanceOf(AppError);
      expect(e.code).to.equal('service_unavailable');
      expect(e.status).to.equal(503);
    }
  });

  it('never copies the Postgres detail (which quotes row values) into the public message', () => {
    for (const code of ['23505', '22P02', '23503', '23514']) {
      const e = translatePgError(pgError(code)) as AppError;
      expect(JSON.stringify(e.toBody())).to.not.contain('secret@example.com');
    }
  });

  it('passes unrelated errors through untouched', () => {
    const e = new TypeError('x');
    expect(translatePgError(e)).to.equal(e);
  });

  it('translates a real unique violation from the database', async () => {
    await resetDatabase();
    const db = testDatabase().admin;
    const insert = () => withTransaction(db, (c) => c.query(
      `insert into users (id, email, created_at) values (gen_random_uuid(), 'same@example.com', now())`));
    await insert();
    try {
      await insert();
      expect.fail('second insert should fail');
    } catch (e) {
      expect(e).to.be.instanceOf(AppError);
      expect((e as AppError).code).to.equal('conflict');
    }
  });
});

describe('withTransaction', () => {
  function fakePool(failRollback: boolean) {
    const released: Array<Error | undefined> = [];
    const statements: string[] = [];
    const client = Object.assign(new EventEmitter(), {
      query: async (sql: string) => {
        statements.push(sql);
        if (sql === 'ROLLBACK' && failRollback) throw new Error('connection lost');
        return { rows: [] };
      },
      release: (err?: Error) => { released.push(err); },
    });
    return { pool: { connect: async () => client } as unknown as pg.Pool, client, released, statements };
  }

  it('rolls back and returns the connection when the work fails', async () => {
    const f = fakePool(false);
    await withTransaction(f.pool, async () => { throw new Error('work failed'); }).catch(() => {});
    expect(f.statements).to.deep.equal(['BEGIN', 'ROLLBACK']);
    expect(f.released).to.deep.equal([undefined]);
  });

  it('destroys the connection when ROLLBACK itself fails', async () => {
    const f = fakePool(true);
    await withTransaction(f.pool, async () => { throw new Error('work failed'); }).catch(() => {});
    expect(f.released).to.have.length(1);
    expect(f.released[0]).to.be.instanceOf(Error);
  });

  it('commits and returns the connection when the work succeeds, leaving no error listener behind', async () => {
    const f = fakePool(false);
    expect(await withTransaction(f.pool, async () => 42)).to.equal(42);
    expect(f.statements).to.deep.equal(['BEGIN', 'COMMIT']);
    expect(f.released).to.deep.equal([undefined]);
    expect(f.client.listenerCount('error')).to.equal(0);
  });

  it('a socket error during the work is caught and the connection is destroyed, not reused', async () => {
    const f = fakePool(false);
    const lost = new Error('socket reset');
    await withTransaction(f.pool, async () => {
      f.client.emit('error', lost); // would throw as an unhandled 'error' event without a listener
      throw lost;
    }).catch(() => {});
    expect(f.released).to.deep.equal([lost]);
    expect(f.client.listenerCount('error')).to.equal(0);
  });
});
