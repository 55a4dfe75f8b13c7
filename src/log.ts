// Structured logging with pino. Call sites log only allow-listed fields (see LogFields);
// redaction of credential-looking keys is a safety net, not the mechanism.
import { pino, type Logger, type DestinationStream } from 'pino';
import { register as onExit } from 'on-exit-leak-free';
import type { LogLevel } from './config.ts';
import { systemClock } from './clock.ts';
import { LineBatcher, type LineBatching } from './line-batcher.ts';

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

/** The process logger's constant fields, on every line. */
const BASE = { service: 'cloister' };

/** How the process logger batches its lines (line-batcher.ts). */
const BATCHING: LineBatching = {
  /** one write(2) per 64 Ki characters of lines... */
  maxChars: 64 * 1024,
  /** ...or per 20 ms, whichever comes first */
  maxDelayMs: 20,
};

/** pino's ISO time field, formatted once per millisecond rather than once per line (the same text). */
function isoTimeEachMs(): () => string {
  let lastMs = -1;
  let field = '';
  return () => {
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      field = `,"time":"${new Date(now).toISOString()}"`;
    }
    return field;
  };
}

/**
 * The process logger's destination: stdout through pino's SonicBoom, written synchronously (no
 * write left in flight when the process exits), its lines batched (line-batcher.ts says why).
 * Pending lines are written at exit; a SIGKILL loses at most BATCHING.maxDelayMs of them.
 */
export function processDestination(): DestinationStream {
  const batcher = new LineBatcher(pino.destination({ dest: 1, sync: true }), BATCHING, systemClock.after);
  onExit(batcher, (b) => b.flushSync());
  return batcher;
}

/** Creates the process logger writing JSON lines to `destination` (by default stdout: processDestination). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: BASE,
      timestamp: isoTimeEachMs(),
      formatters: { level: (label) => ({ level: label }), log: redactCredentials },
    },
    destination ?? processDestination(),
  );
}

/** Writes one info line whose fields (after those every line has) are given as JSON members: `"key":value,…`. */
export type InfoLine = (members: string) => void;

/**
 * The writer of the one line written per request (the access log): the same bytes `logger.info`
 * would write — pino's own level prefix, time, bindings and line end, to its destination, behind
 * its level gate (read through `pino.symbols`, pino's interface for integrations) — without
 * pino's general path. That path walks an object of any shape (for…in, serializers, the
 * redaction formatter, escaping every key) and, fed lines of every shape in a server, cost 8%
 * of an inference request's CPU (docs/performance.md). The caller builds the members from an
 * allow-list and encodes every string with JSON.stringify: the redaction net never sees them.
 */
export function infoLineWriter(logger: Logger): InfoLine {
  const { lsCacheSym, timeSym, chindingsSym, endSym, streamSym, needsMetadataGsym } = pino.symbols;
  const internals = logger as unknown as Record<symbol, unknown>;
  const info = logger.levels.values.info!;
  const stream = internals[streamSym] as DestinationStream & Record<symbol, unknown>;
  // A destination that reads each line's level and object (pino.multistream) takes the general path.
  if (stream[needsMetadataGsym] === true) return (members) => logger.info(JSON.parse(`{${members}}`) as object);
  const prefix = (internals[lsCacheSym] as Record<number, string>)[info]!;
  const time = internals[timeSym] as () => string;
  const bindings = internals[chindingsSym] as string;
  const end = internals[endSym] as string;
  return (members) => {
    if (logger.isLevelEnabled('info')) stream.write(`${prefix}${time()}${bindings},${members}${end}`);
  };
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
