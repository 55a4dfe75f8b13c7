// Structured logging with pino. Call sites log only allow-listed fields (see LogFields);
// redaction of credential-looking keys is a safety net, not the mechanism.
import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger } from 'pino';

/** Fields any log line may carry. Never bodies, headers with credentials, query strings or SQL details. */
export interface LogFields {
  request_id?: string;
  method?: string;
  route?: string;
  status?: number;
  duration_ms?: number;
  user_id?: string | null;
  event?: string;
  err?: { type: string; code?: string | undefined; sqlstate?: string | undefined; frames?: string[] | undefined };
  [extra: string]: unknown;
}

/** Creates the process logger writing JSON lines to `destination` (stdout by default). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'cloister' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: ['authorization', 'cookie', '*.authorization', '*.cookie', 'password', '*.password', 'token', '*.token', 'api_key', '*.api_key', 'secret', '*.secret', 'code', 'body', '*.body'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * Describes an error for the log without its message (which may quote user input, e.g. a
 * Postgres "invalid input syntax" error): type, codes and the top stack frames only.
 * AppError messages are ours and are kept.
 */
export function describeError(e: unknown): NonNullable<LogFields['err']> & { message?: string } {
  if (!(e instanceof Error)) return { type: typeof e };
  const any = e as Error & { code?: unknown; sqlState?: unknown };
  const frames = (e.stack ?? '').split('\n').slice(1, 6).map((l) => l.trim());
  const out: NonNullable<LogFields['err']> & { message?: string } = {
    type: e.name,
    code: typeof any.code === 'string' ? any.code : undefined,
    frames,
  };
  if (e.name === 'AppError' || e.name === 'ConfigError') out.message = e.message;
  const sqlstate = (e as { code?: unknown }).code;
  if (typeof sqlstate === 'string' && /^[0-9A-Z]{5}$/.test(sqlstate)) out.sqlstate = sqlstate;
  return out;
}
