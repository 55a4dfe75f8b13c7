// Structured logging with pino. Call sites log only allow-listed fields (see LogFields);
// redaction of credential-looking keys is a safety net, not the mechanism.
import { pino, type Logger, type DestinationStream } from 'pino';
import { register as onExit } from 'on-exit-leak-free';
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

/** Keys whose values never reach a log line, one level below its top (e.g. `headers.cookie`)... */
const REDACTED_NESTED = new Set(['authorization', 'cookie', 'password', 'token', 'api_key', 'secret', 'body']);
/** ...and at its top, where `code` is an OAuth code (one level down it is an error's code). */
const REDACTED_TOP = new Set([...REDACTED_NESTED, 'code']);
const CENSOR = '[redacted]';

/** `obj` with the values of `keys` directly in it replaced; `obj` itself when it has none. */
function censorKeys(obj: Record<string, unknown>, keys: ReadonlySet<string>): Record<string, unknown> {
  let out = obj;
  for (const key in obj) {
    if (keys.has(key)) {
      if (out === obj) out = { ...obj };
      out[key] = CENSOR;
    }
  }
  return out;
}

/**
 * The safety net under the allow-list: credential-looking keys at the top of a log line and in
 * the objects directly under it are censored (copying only what changes, never the caller's
 * objects). pino's `redact` option does the same but parses its path list again on every line,
 * which made it the most expensive part of an access-log line.
 */
export function redactCredentials(line: Record<string, unknown>): Record<string, unknown> {
  let out = censorKeys(line, REDACTED_TOP);
  for (const key in out) {
    const value = out[key];
    if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value)) continue;
    const censored = censorKeys(value as Record<string, unknown>, REDACTED_NESTED);
    if (censored !== value) {
      if (out === line) out = { ...line };
      out[key] = censored;
    }
  }
  return out;
}

/**
 * pino's ISO timestamp, formatted once per millisecond: a busy server writes several lines per
 * millisecond, and formatting a Date is most of what a timestamp costs.
 */
function isoTimeOncePerMillisecond(): () => string {
  let at = -1;
  let formatted = '';
  return () => {
    const now = Date.now();
    if (now !== at) {
      at = now;
      formatted = `,"time":"${new Date(now).toISOString()}"`;
    }
    return formatted;
  };
}

/** A destination pino can flush (pino.destination's SonicBoom is one). */
type Flushable = DestinationStream & { flush?(cb?: (err?: Error) => void): void; flushSync?(): void };

/**
 * Hands the lines written during one turn of the event loop to `inner` as one string. A busy
 * server completes several requests per turn, and each access-log line written on its own cost
 * SonicBoom a measurement of its whole pending buffer and, in async mode, a thread-pool round
 * trip for the write. No line waits longer than the turn; at exit (or flush) it is handed over at once.
 */
export function batchedLines(inner: Flushable): Flushable & { flush(cb?: (err?: Error) => void): void; flushSync(): void } {
  let pending: string[] = [];
  let scheduled = false;
  const drain = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const lines = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    inner.write(lines);
  };
  const batcher = {
    write(line: string) {
      pending.push(line);
      if (!scheduled) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    flush(cb?: (err?: Error) => void) {
      drain();
      if (inner.flush) inner.flush(cb);
      else cb?.();
    },
    flushSync() {
      drain();
      inner.flushSync?.();
    },
  };
  onExit(batcher, (b) => b.flushSync());
  return batcher;
}

/** Creates the process logger writing JSON lines to `destination` (stdout by default, a turn's lines at a time). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'cloister' },
      timestamp: isoTimeOncePerMillisecond(),
      formatters: { level: (label) => ({ level: label }), log: redactCredentials },
    },
    destination ?? batchedLines(pino.destination({ dest: 1, sync: false })),
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
