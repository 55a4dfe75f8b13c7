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

/** How long a line may wait to be written, and how many bytes may wait. */
export interface LineBatching {
  readonly maxDelayMs: number;
  readonly maxBytes: number;
  /** runs `fn` once after `ms` (tests pass their own) */
  readonly timer: (fn: () => void, ms: number) => void;
}

const LINE_BATCHING: LineBatching = {
  maxDelayMs: 20,
  maxBytes: 64 * 1024,
  // Unref'd: a pending batch never keeps the process alive; the exit hook below writes it.
  timer: (fn, ms) => { setTimeout(fn, ms).unref(); },
};

/**
 * Hands the lines written within `maxDelayMs` (or until `maxBytes` wait) to `inner` as one
 * string: a busy server writes a few thousand access-log lines a second, and a write each (or
 * one per turn of the event loop) was a visible share of a request's cost. `inner` should write
 * synchronously (the process logger's does: one write(2) per batch, no thread-pool hop, and
 * nothing in flight that an exit could lose). At exit (or flush) pending lines are handed over
 * at once; a crash that skips the exit hook (SIGKILL) loses at most `maxDelayMs` of lines.
 */
export function batchedLines(inner: Flushable, batching: Partial<LineBatching> = {}): LineBatcher {
  const batcher = new LineBatcher(inner, { ...LINE_BATCHING, ...batching });
  onExit(batcher, (b) => b.flushSync());
  return batcher;
}

class LineBatcher implements Flushable {
  private pending: string[] = [];
  private bytes = 0;
  private scheduled = false;
  private readonly inner: Flushable;
  private readonly batching: LineBatching;
  constructor(inner: Flushable, batching: LineBatching) {
    this.inner = inner;
    this.batching = batching;
  }

  write(line: string): void {
    this.pending.push(line);
    this.bytes += line.length;
    if (this.bytes >= this.batching.maxBytes) this.drain();
    else if (!this.scheduled) {
      this.scheduled = true;
      // The callback holds this batcher: the exit hook keeps only a weak reference, and a
      // logger dropped with lines pending must still be reachable when the process exits.
      this.batching.timer(() => {
        this.scheduled = false;
        this.drain();
      }, this.batching.maxDelayMs);
    }
  }

  flush(cb?: (err?: Error) => void): void {
    this.drain();
    if (this.inner.flush) this.inner.flush(cb);
    else cb?.();
  }

  flushSync(): void {
    this.drain();
    this.inner.flushSync?.();
  }

  private drain(): void {
    if (this.pending.length === 0) return;
    const lines = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.bytes = 0;
    this.inner.write(lines);
  }
}

/** The process logger's constant fields, on every line. */
const BASE = { service: 'cloister' };

/**
 * Writes one info line of a fixed shape, its fields (after the ones every line has) given as
 * the JSON members `"key":value,…`: the access log's, one per request. The same destination,
 * prefix and level gate as the logger's own lines, without pino's general path (walking the
 * object, the formatters, escaping), which was most of what an access-log line cost. The
 * caller builds the members from an allow-list and encodes every string with JSON.stringify.
 */
export type InfoLine = (members: string) => void;

/** The process logger and, writing through the same destination, the fixed-shape line writer. */
export interface LogOutput {
  readonly logger: Logger;
  readonly infoLine: InfoLine;
}

/**
 * Creates the process logger writing JSON lines to `destination`: by default stdout, in batches
 * (batchedLines) written synchronously. An asynchronous SonicBoom under the batcher lost the
 * last batch at exit: handed over as the process exited, it became a write in flight, which
 * SonicBoom's flushSync does not repeat.
 */
export function createLogOutput(level: LogLevel, destination?: DestinationStream): LogOutput {
  const out = destination ?? batchedLines(pino.destination({ dest: 1, sync: true }));
  const time = isoTimeOncePerMillisecond();
  const logger = pino(
    {
      level,
      base: BASE,
      timestamp: time,
      formatters: { level: (label) => ({ level: label }), log: redactCredentials },
    },
    out,
  );
  // What pino writes before a line's own fields, given the options above.
  const base = JSON.stringify(BASE).slice(1, -1);
  const infoLine: InfoLine = (members) => {
    if (logger.isLevelEnabled('info')) out.write(`{"level":"info"${time()},${base},${members}}\n`);
  };
  return { logger, infoLine };
}

/** The process logger alone (see createLogOutput). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return createLogOutput(level, destination).logger;
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
