// A throwaway Postgres 15 cluster of the test's own (initdb + pg_ctl in a temp directory, on a
// free loopback port), which a test may restart — never the machine's shared 5432 server. As
// root the cluster runs as the `postgres` user (initdb refuses root).
import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

export interface PrivatePostgres {
  /** the cluster's `postgres` database */
  readonly url: string;
  /** the first half of a restart: pg_ctl stop -m fast (every connection ended, the server down) */
  down(): Promise<void>;
  /** the second half: pg_ctl start, on the same data and port */
  up(): Promise<void>;
  /** stops the cluster and removes its directory */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Starts a private cluster; `stop()` removes it and its directory. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'cloister-fault-pg-'));
  const asPostgres = process.getuid?.() === 0;
  const pg = async (cmd: string, args: string[]) => {
    const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]] : [join(BIN, cmd), args];
    await run(file, argv, { timeout: 60_000 });
  };
  if (asPostgres) await chown(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), 0);
  const data = join(dir, 'data');
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const up = () => pg('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  await up();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    down: () => pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    up,
    async stop() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
