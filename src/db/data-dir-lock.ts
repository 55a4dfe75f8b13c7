// The exclusive lock on a DATA_DIR's embedded database, held by the one process that opens its
// files. The lock is a listening unix socket: on Linux in the abstract namespace (named after
// the directory's real path), which the kernel gives to one process at a time and takes back
// the instant that process dies, however it dies — no file is left behind, so there is no stale
// lock to judge. Elsewhere it is a socket file in the temporary directory; a file whose owner
// died refuses connections and is replaced.
//
// The lock also tells the others where the database is. Every process that connects to it is
// answered, once the owner's database is open, with one JSON line {role, pid, host, port}; the
// connection then stays open until the owner lets go (or dies), so a process that must wait
// for the owner to finish learns the moment it may take over.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** Who holds the lock: a server (long-lived) or a CLI command (short-lived). */
export type LockRole = 'server' | 'cli';

/** What the owner tells every process that asks. */
export interface OwnerInfo {
  readonly role: LockRole;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
}

/** The lock, held. */
export interface HeldLock {
  /** the database is open at host:port: answer everyone who asked (and will ask) */
  ready(host: string, port: number): void;
  /** lets go: the next process may take the lock */
  release(): Promise<void>;
}

/** Someone else holds the lock. */
export interface Owner {
  /** the owner's answer, once its database is open (null: it let go or died first) */
  readonly info: Promise<OwnerInfo | null>;
  /** resolves when the owner lets go or dies */
  readonly released: Promise<void>;
  /** stops listening to the owner */
  close(): void;
}

/** The socket address of the lock on `dir` (an existing directory). */
export function lockAddress(dir: string): string {
  const id = createHash('sha256').update(realpathSync(dir)).digest('hex').slice(0, 32);
  return process.platform === 'linux' ? `\0cloister-data-dir-${id}` : join(tmpdir(), `cloister-data-dir-${id}.sock`);
}

function listenOn(address: string): Promise<net.Server | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(null) : reject(e)));
    server.listen({ path: address, exclusive: true }, () => resolve(server));
  });
}

/** Whether a socket file's owner is gone (it refuses connections). Never true for an abstract socket. */
function deadSocketFile(address: string): Promise<boolean> {
  if (address.startsWith('\0')) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = net.connect(address);
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' || e.code === 'ENOENT'));
  });
}

/** Takes the lock when it is free; null when another live process holds it. */
export async function tryLock(address: string, role: LockRole): Promise<HeldLock | null> {
  let server = await listenOn(address);
  if (server === null && await deadSocketFile(address)) {
    // A socket file left by a process that died (not Linux): remove it and try once more. Two
    // processes racing here can both remove it; the bind that follows still admits only one.
    await rm(address, { force: true });
    server = await listenOn(address);
  }
  if (server === null) return null;
  const lockServer = server;
  let answer: string | null = null;
  const waiting = new Set<net.Socket>();
  lockServer.on('connection', (socket) => {
    socket.on('error', () => {});
    socket.once('close', () => waiting.delete(socket));
    waiting.add(socket);
    if (answer !== null) socket.write(answer);
  });
  return {
    ready(host, port) {
      answer = `${JSON.stringify({ role, pid: process.pid, host, port } satisfies OwnerInfo)}\n`;
      for (const s of waiting) s.write(answer);
    },
    async release() {
      for (const s of waiting) s.destroy();
      await new Promise<void>((resolve) => lockServer.close(() => resolve()));
      if (!address.startsWith('\0')) await rm(address, { force: true });
    },
  };
}

/** Connects to the lock's owner; null when nobody holds it (any more). */
export function askOwner(address: string): Promise<Owner | null> {
  return new Promise((resolve) => {
    const socket = net.connect(address);
    socket.once('error', () => resolve(null));
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      let buffered = '';
      let settleInfo!: (info: OwnerInfo | null) => void;
      const info = new Promise<OwnerInfo | null>((r) => { settleInfo = r; });
      const released = new Promise<void>((r) => socket.once('close', () => { settleInfo(null); r(); }));
      socket.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const end = buffered.indexOf('\n');
        if (end === -1) return;
        try {
          settleInfo(JSON.parse(buffered.slice(0, end)) as OwnerInfo);
        } catch {
          settleInfo(null);
        }
      });
      resolve({ info, released, close: () => socket.destroy() });
    });
  });
}
