// Embedded Postgres (PGlite) for zero-configuration use. Exactly one process opens a
// DATA_DIR's files: the holder of the directory's lock (data-dir-lock.ts), who serves the
// database on a loopback port and tells the others where. Who does what when the lock is held:
// - a CLI command joins a running server's database;
// - a server finding another server exits with a one-line reason (DataDirInUse);
// - either waits for a CLI command that holds the lock to finish, then takes it over;
// - a process that asks while the owner is still starting waits for its answer; the owner
//   answers only once it calls share(), after its migrations, so nobody else ever migrates
//   alongside it (PGlite is one session: advisory locks could not keep two migrators apart).
// All waiting is bounded (EmbeddedOptions.waitMs) and said once through `onWait`.
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { askOwner, lockAddress, tryLock, type HeldLock, type LockRole, type OwnerInfo } from './data-dir-lock.ts';

export interface EmbeddedPostgres {
  readonly url: string;
  /** false when this process connected to another process's embedded server */
  readonly owned: boolean;
  /** tells processes waiting on DATA_DIR where the database is: call once its schema is current (a no-op when not owned) */
  share(): void;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** a server never shares a directory with another server; a CLI command joins one */
  readonly role?: LockRole;
  readonly maxConnections?: number;
  readonly port?: number;
  /** how long to wait for an owner that is starting or finishing (default 60 s) */
  readonly waitMs?: number;
  /** told once why this process is waiting */
  readonly onWait?: (reason: string) => void;
}

/** Another server serves this DATA_DIR: this one must not open it. */
export class DataDirInUse extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataDirInUse';
  }
}

/** Connection URL for an embedded server on host:port. */
export function embeddedUrl(host: string, port: number): string {
  return `postgres://postgres@${host}:${port}/postgres?sslmode=disable`;
}

/** How long before a wait is worth a message. */
const QUIET_WAIT_MS = 1_000;

/** Resolves with `p`, or rejects once `deadline` (ms since the epoch) has passed. */
function until<T>(p: Promise<T>, deadline: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gave up after waiting for ${what}`)), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** Opens the files under `dir` (the lock held) and serves them. */
async function open(dir: string | null, lock: HeldLock | null, options: EmbeddedOptions): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(dir === null ? 'memory://' : join(dir, 'pgdata'));
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: options.maxConnections ?? 64 });
  try {
    await server.start();
  } catch (e) {
    await db.close();
    throw e;
  }
  const [host = '127.0.0.1', portText = '0'] = server.getServerConn().split(':');
  const port = Number(portText);
  let stopped = false;
  let shared = false;
  return {
    url: embeddedUrl(host, port),
    owned: true,
    share() {
      if (shared || stopped) return;
      shared = true;
      lock?.ready(host, port);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      await lock?.release();
    },
  };
}

/**
 * Opens the embedded database under `dataDir` (`memory://` for an in-memory one), or joins the
 * one a running server already serves from that directory.
 */
export async function startEmbeddedPostgres(dataDir: string, options: EmbeddedOptions = {}): Promise<EmbeddedPostgres> {
  if (dataDir === 'memory://') return open(null, null, options);
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const role = options.role ?? 'cli';
  const address = lockAddress(dir);
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  let told = false;
  const tell = (reason: string) => {
    if (!told) options.onWait?.(reason);
    told = true;
  };
  for (;;) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for DATA_DIR ${dir}: another process holds it`);
    const lock = await tryLock(address, role);
    if (lock) {
      try {
        return await open(dir, lock, options);
      } catch (e) {
        await lock.release();
        throw e;
      }
    }
    const owner = await askOwner(address);
    if (owner === null) continue; // it let go in between: try to take it
    let info: OwnerInfo | null;
    try {
      const quiet = setTimeout(() => tell('waiting for the process holding DATA_DIR to open the embedded database'), QUIET_WAIT_MS);
      info = await until(owner.info, deadline, 'the process holding DATA_DIR to open its database').finally(() => clearTimeout(quiet));
      if (info === null) continue; // it let go, or died, before it was ready
      if (info.role === 'server') {
        if (role === 'cli') return { url: embeddedUrl(info.host, info.port), owned: false, share: () => {}, stop: async () => {} };
        throw new DataDirInUse(`DATA_DIR ${dir} is in use by another Cloister server (pid ${info.pid}); give this one its own DATA_DIR or use DATABASE_URL`);
      }
      // A CLI command holds it: wait for it to finish, then take over.
      tell(`waiting for the cloister command (pid ${info.pid}) using DATA_DIR to finish`);
      await until(owner.released, deadline, `the cloister command (pid ${info.pid}) using DATA_DIR to finish`);
    } finally {
      owner.close();
    }
  }
}
