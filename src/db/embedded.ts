// Embedded Postgres (PGlite) for zero-configuration use. It listens on a loopback port
// recorded in DATA_DIR/embedded-postgres.json, so the CLI can reach the database while the
// server runs; a second process finds the record and connects instead of opening the files.
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import net from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  readonly url: string;
  /** false when this process connected to another process's embedded server */
  readonly owned: boolean;
  stop(): Promise<void>;
}

interface Record_ {
  host: string;
  port: number;
  pid: number;
}

const RECORD = 'embedded-postgres.json';

/** Connection URL for an embedded server on host:port. */
export function embeddedUrl(host: string, port: number): string {
  return `postgres://postgres@${host}:${port}/postgres?sslmode=disable`;
}

/**
 * Opens the embedded database under `dataDir` (`memory://` for an in-memory one), or joins
 * the one another live process already serves from that directory.
 */
export async function startEmbeddedPostgres(dataDir: string, options: { maxConnections?: number; port?: number } = {}): Promise<EmbeddedPostgres> {
  const inMemory = dataDir === 'memory://';
  const dir = inMemory ? '' : resolve(dataDir);
  if (!inMemory) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const existing = await liveRecord(dir);
    if (existing) return { url: embeddedUrl(existing.host, existing.port), owned: false, stop: async () => {} };
  }
  const db = await PGlite.create(inMemory ? 'memory://' : join(dir, 'pgdata'));
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: options.port ?? 0, maxConnections: options.maxConnections ?? 64 });
  await server.start();
  const [host = '127.0.0.1', portText = '0'] = server.getServerConn().split(':');
  const port = Number(portText);
  if (!inMemory) await writeFile(join(dir, RECORD), JSON.stringify({ host, port, pid: process.pid } satisfies Record_), { mode: 0o600 });
  let stopped = false;
  return {
    url: embeddedUrl(host, port),
    owned: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop();
      await db.close();
      if (!inMemory) await rm(join(dir, RECORD), { force: true });
    },
  };
}

async function liveRecord(dir: string): Promise<Record_ | null> {
  let rec: Record_;
  try {
    rec = JSON.parse(await readFile(join(dir, RECORD), 'utf8')) as Record_;
  } catch {
    return null;
  }
  if (rec.pid === process.pid || !pidAlive(rec.pid)) return null;
  return (await portOpen(rec.host, rec.port)) ? rec : null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = net.connect({ host, port });
    const finish = (ok: boolean) => { s.destroy(); done(ok); };
    s.once('connect', () => finish(true));
    s.once('error', () => finish(false));
    s.setTimeout(1000, () => finish(false));
  });
}
