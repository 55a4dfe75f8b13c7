// Postgres errors become AppErrors where they arise, by SQLSTATE and constraint name.
// The `detail` of a Postgres error can quote row values, so it is never kept.
import { AppError } from '../errors.ts';

/** Constraint name -> what a violation of it means to the API caller. */
const CONSTRAINTS: Readonly<Record<string, { code: 'conflict' | 'not_found' | 'invalid_request'; message: string; param?: string }>> = {
  users_email_key: { code: 'conflict', message: 'A user with this email already exists.', param: 'email' },
  api_keys_prefix_key: { code: 'conflict', message: 'API key prefix collision; try again.' },
};

/** Translates a pg error (or passes through anything else) into an AppError. */
export function translatePgError(e: unknown): unknown {
  if (e instanceof AppError) return e;
  if (!(e instanceof Error)) return e;
  const err = e as Error & { code?: string; constraint?: string; syscall?: string };
  // A socket's own failure (ECONNREFUSED while Postgres restarts, EPIPE, ...) carries a Node
  // error code, not a SQLSTATE: the database is unreachable, whatever the code says.
  if (typeof err.code === 'string' && typeof err.syscall === 'string') {
    return new AppError('service_unavailable', 'database unavailable', { cause: e });
  }
  const sqlstate = err.code;
  if (typeof sqlstate !== 'string') {
    if (/timeout|ECONNREFUSED|ECONNRESET|terminated|Connection/i.test(err.message)) {
      return new AppError('service_unavailable', 'database unavailable', { cause: e });
    }
    return e;
  }
  if (err.constraint !== undefined && CONSTRAINTS[err.constraint]) {
    const c = CONSTRAINTS[err.constraint]!;
    return new AppError(c.code, c.message, { param: c.param ?? null, cause: e });
  }
  switch (sqlstate.slice(0, 2)) {
    case '08': // connection exception
    case '57': // operator intervention (shutdown, admin termination)
    case '53': // insufficient resources
      return new AppError('service_unavailable', 'database unavailable', { cause: e });
    case '40': // serialization failure / deadlock
      return new AppError('service_unavailable', 'database conflict, retry', { cause: e });
    case '22': // data exception (bad input that slipped past validation)
      return new AppError('invalid_request', 'Invalid value in request.', { cause: e });
    case '23':
      if (sqlstate === '23505') return new AppError('conflict', 'The object already exists.', { cause: e });
      if (sqlstate === '23503') return new AppError('not_found', 'Not found.', { cause: e });
      return new AppError('invalid_request', 'Invalid value in request.', { cause: e });
    default:
      return e;
  }
}
