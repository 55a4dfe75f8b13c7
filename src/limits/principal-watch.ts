// What a replica may remember between limits checks: that a user (with a given key) was live
// and had no limit in force when Postgres last answered. While this is known, the inference
// guard lets their requests through without the round trip. It is only known while the replica
// hears every change: one connection LISTENs on `cloister_principals`, where triggers (migration
// 0006) announce each committed change to a user or their keys, and that user is forgotten at
// once. Anything that could hide a change forgets everyone and stops remembering until the
// replica listens again: the listening connection failing or ending, a ping (a notification
// this replica sends itself through the pool every second) not coming back within two seconds
// (a silent connection, or a pooler such as PgBouncer in transaction mode, which does not pass
// notifications on), or the ping failing to go out. A check that was already running when
// anything was forgotten does not get remembered (the epoch moved), so its answer, which may
// predate the change, never outlives the announcement.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Queryable } from '../db/pool.ts';
import type { Logger } from '../log.ts';

const PRINCIPALS_CHANNEL = 'cloister_principals';
const PING = 'ping:';

/** What to log of a connection or query failure: its code, else its class (never its message). */
const reasonOf = (e: unknown): string => (e as { code?: string }).code ?? (e as Error).name ?? 'error';

export interface PrincipalWatch {
  /** whether the user, with this key (null: a session), was last seen live and unlimited, and nothing about them changed since */
  isClear(userId: string, keyId: string | null): boolean;
  /** the epoch a check starts in: hand it to markClear with the answer */
  epoch(): number;
  /** remembers a live, unlimited answer, unless anything was forgotten since `epoch` */
  markClear(epoch: number, userId: string, keyId: string | null): void;
  /** forgets a user at once (a change this replica made itself; others hear it from Postgres) */
  forget(userId: string): void;
  readonly listening: boolean;
  /** resolves when the watch listens (at once if it does) */
  whenListening(): Promise<void>;
  /** resolves once every change committed before the call has been heard (or at once when not listening, as nothing is remembered then) */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface PrincipalWatchOptions {
  /** the database the listening connection opens */
  readonly url: string;
  /** where pings are sent from (the pool) */
  readonly db: Queryable;
  readonly logger: Logger;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  /** first reconnect delay; doubles up to 30 s */
  readonly retryMs?: number;
  /** users remembered at most; past it, everyone is forgotten (and learned again) */
  readonly maxUsers?: number;
}

/** Starts listening; the watch remembers nothing until the first LISTEN has succeeded. */
export function startPrincipalWatch(options: PrincipalWatchOptions): PrincipalWatch {
  const { logger } = options;
  const pingIntervalMs = options.pingIntervalMs ?? 1000;
  const pingTimeoutMs = options.pingTimeoutMs ?? 2000;
  const firstRetryMs = options.retryMs ?? 1000;
  const maxUsers = options.maxUsers ?? 100_000;

  const clear = new Map<string, Set<string>>();
  let epoch = 0;
  let listening = false;
  let closed = false;
  let client: pg.Client | null = null;
  let retryMs = firstRetryMs;
  let retryTimer: NodeJS.Timeout | null = null;
  const pings = new Map<string, () => void>();
  let listeningWaiters: Array<() => void> = [];

  const forget = (userId: string) => {
    clear.delete(userId);
    epoch++;
  };
  const forgetAll = () => {
    clear.clear();
    epoch++;
  };

  /** Stops listening on `c` (the current connection): nothing is remembered any more. */
  const discard = async (c: pg.Client) => {
    client = null;
    listening = false;
    forgetAll();
    for (const resolve of pings.values()) resolve(); // nothing is remembered now: sync() callers may go on
    pings.clear();
    c.removeAllListeners();
    c.on('error', () => {}); // late errors of a connection being discarded
    await c.end().catch(() => {});
  };

  const down = (from: pg.Client, reason: string) => {
    if (from !== client) return; // an earlier connection, already replaced
    if (listening) logger.warn({ event: 'limits.watch_down', reason });
    void discard(from);
    schedule();
  };

  const schedule = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, 30_000);
  };

  const onNotification = (msg: pg.Notification) => {
    if (msg.channel !== PRINCIPALS_CHANNEL || msg.payload === undefined) return;
    if (msg.payload.startsWith(PING)) {
      const resolve = pings.get(msg.payload);
      if (resolve) {
        pings.delete(msg.payload);
        resolve();
      }
      return;
    }
    forget(msg.payload);
  };

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: options.url, application_name: 'cloister-watch', keepAlive: true });
    client = c;
    c.on('error', (e) => down(c, reasonOf(e)));
    c.on('end', () => down(c, 'ended'));
    c.on('notification', onNotification);
    try {
      await c.connect();
      await c.query(`listen ${PRINCIPALS_CHANNEL}`);
    } catch (e) {
      const reason = reasonOf(e);
      if (c === client) logger.warn({ event: 'limits.watch_connect_failed', reason, retry_ms: retryMs });
      down(c, reason);
      return;
    }
    if (c !== client || closed) return;
    // Checks that started before now may have read state whose change went unheard.
    forgetAll();
    listening = true;
    retryMs = firstRetryMs;
    logger.info({ event: 'limits.watch_listening' });
    const waiters = listeningWaiters;
    listeningWaiters = [];
    for (const resolve of waiters) resolve();
  };

  /** Sends a ping through the pool; resolves when it comes back on the listening connection. */
  const ping = (): Promise<void> => {
    const c = client;
    if (!listening || !c) return Promise.resolve();
    const payload = `${PING}${randomBytes(8).toString('hex')}`;
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      pings.set(payload, () => {
        if (timer) clearTimeout(timer);
        resolve();
      });
      options.db.query('select pg_notify($1, $2)', [PRINCIPALS_CHANNEL, payload]).then(
        () => {
          if (!pings.has(payload)) return; // already back (or the watch went down meanwhile)
          timer = setTimeout(() => {
            if (pings.delete(payload)) down(c, 'ping_lost');
            resolve();
          }, pingTimeoutMs);
          timer.unref();
        },
        (e: unknown) => {
          if (pings.delete(payload)) down(c, `ping_failed:${reasonOf(e)}`);
          resolve();
        },
      );
    });
  };

  const pinger = setInterval(() => { void ping(); }, pingIntervalMs);
  pinger.unref();
  void connect();

  return {
    isClear(userId, keyId) {
      return listening && clear.get(userId)?.has(keyId ?? '') === true;
    },
    epoch: () => epoch,
    markClear(at, userId, keyId) {
      if (!listening || at !== epoch) return;
      let keys = clear.get(userId);
      if (!keys) {
        if (clear.size >= maxUsers) clear.clear();
        keys = new Set();
        clear.set(userId, keys);
      }
      keys.add(keyId ?? '');
    },
    forget,
    get listening() {
      return listening;
    },
    whenListening: () => (listening ? Promise.resolve() : new Promise<void>((resolve) => { listeningWaiters.push(resolve); })),
    sync: ping,
    async close() {
      closed = true;
      clearInterval(pinger);
      if (retryTimer) clearTimeout(retryTimer);
      if (client) await discard(client);
    },
  };
}
