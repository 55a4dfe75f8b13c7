// The bench's processes: the fake upstream, the proxies under test and Cloister, each in its own
// process. On a machine with two or more CPUs and `taskset`, the proxies under test share one
// CPU and the load generator (this process) and the upstream another, unless BENCH_PIN=0: the
// scheduler then never puts a proxy on the load generator's core for a while, which on a
// two-core VM moved the same measurement by a factor of two between runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import pg from 'pg';
import { main as cli } from '../../src/cli.ts';

const BIN = fileURLToPath(new URL('../../bin/cloister.js', import.meta.url));
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** Where a process runs: the proxies under test, or the load generator and upstream. */
export type Cpu = 'proxy' | 'load';

function tasksetWorks(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether processes are pinned (see the header). */
export const PINNED = process.env.BENCH_PIN !== '0' && cpus().length >= 2 && tasksetWorks();
const CPU_OF: Record<Cpu, string> = { load: '0', proxy: '1' };

/** The command line that runs `argv` on `cpu` (unchanged when not pinning). */
export function onCpu(cpu: Cpu, argv: string[]): string[] {
  return PINNED ? ['taskset', '-c', CPU_OF[cpu], ...argv] : argv;
}

/** Pins this process (the load generator) when pinning. */
export function pinLoadGenerator(): void {
  if (PINNED) execFileSync('taskset', ['-p', '-c', CPU_OF.load, String(process.pid)], { stdio: 'ignore' });
}

/** Starts a helper script in its own process (on `cpu`; under `wrap`, e.g. valgrind) and waits for the {"url"} line it prints. */
export async function startHelper(script: string, args: string[], cpu: Cpu, wrap: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const [cmd, ...argv] = onCpu(cpu, [...wrap, process.execPath, here(script), ...args]);
  const child = spawn(cmd!, argv, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', () => reject(new Error(`${script} exited`)));
  });
  child.stdout!.resume();
  return { url, child };
}

/** The fake upstream (on the load generator's CPU). */
export async function startUpstream(longChunks: number) {
  const { url, child } = await startHelper('./upstream.ts', [String(longChunks)], 'load');
  return {
    url, child,
    release: () => new Promise<void>((resolve) => { child.once('message', () => resolve()); child.send('release'); }),
    stop: () => { child.disconnect(); },
  };
}

export interface Cloister { url: string; key: string; keys: string[]; child: ChildProcess; /** the server's log file (removed by stop) */ log: string; stop(): Promise<void> }

export interface CloisterOptions {
  /** users to create, with one API key each */
  readonly users: number;
  readonly env?: Record<string, string>;
  /** a command the server runs under (valgrind) */
  readonly wrap?: string[];
  readonly startTimeoutMs?: number;
  /** the `cloister` executable to run (another checkout's, to compare two versions) */
  readonly bin?: string;
  /** a Postgres server to create the database on (default TEST_DATABASE_URL; neither: embedded) */
  readonly databaseUrl?: string;
  /** Node options for the server process (default BENCH_NODE_OPTIONS) */
  readonly nodeArgs?: string[];
}

/** Limits high enough never to refuse a bench request, so every request pays the checks and nothing else. */
export const LIMITS_ENV: Readonly<Record<string, string>> = { RATE_LIMIT_RPM: '100000000', RATE_LIMIT_TPM: '1000000000', RATE_LIMIT_CONCURRENCY: '100000', BUDGET_DAILY_TOKENS: '1000000000000' };

/** Starts `cloister serve` (on the proxies' CPU) with its own database and users with a key each. */
export async function startCloister(upstream: string, label: string, options: CloisterOptions): Promise<Cloister> {
  const { users, env: extraEnv = {}, wrap = [], startTimeoutMs = 60_000, bin = BIN } = options;
  const adminUrl = options.databaseUrl ?? process.env.TEST_DATABASE_URL;
  const dataDir = mkdtempSync(join(tmpdir(), 'cloister-bench-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: dataDir, OPENAI_BASE_URL: `${upstream}/v1`, LOG_LEVEL: 'warn',
    ATTESTATION_MODE: process.env.BENCH_ATTESTATION ?? 'off', STREAM_HEARTBEAT_MS: '600000', ...extraEnv,
  };
  let dbName: string | null = null;
  if (adminUrl) {
    dbName = `cloister_bench_${process.pid}_${label}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName}`);
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;
    env.DATABASE_URL = u.href;
  }
  const nodeArgs = options.nodeArgs ?? (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  // LOG_LEVEL info for the process: the access log line is part of what a request costs. The
  // log goes to a file, as it would to a collector: read through a pipe by this process, it
  // would take CPU from the load generator during the runs.
  const logPath = join(dataDir, 'cloister.log');
  const logFd = openSync(logPath, 'a');
  const [cmd, ...argv] = onCpu('proxy', [...wrap, process.execPath, ...nodeArgs, bin, 'serve']);
  const child = spawn(cmd!, argv, { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', logFd, 'inherit'] });
  closeSync(logFd);
  let exited = false;
  child.once('exit', () => { exited = true; });
  // A bench that dies (an uncaught error) must not leave its Cloister serving.
  const orphan = () => { if (!exited) child.kill('SIGKILL'); };
  process.once('exit', orphan);
  child.once('exit', () => { process.off('exit', orphan); });
  const url = await (async () => {
    for (const deadline = Date.now() + startTimeoutMs; Date.now() < deadline && !exited;) {
      const line = readFileSync(logPath, 'utf8').split('\n').find((l) => l.includes('"server.listening"'));
      if (line) return (JSON.parse(line) as { url: string }).url;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`cloister did not start:\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
  })();
  // Users and keys through the served checkout's own CLI: another checkout's (bench:compare) must
  // not open its database with this one's migrations and SQL routines.
  const run = (args: string[]): string[] | null => (bin === BIN
    ? null
    : execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).split('\n').filter(Boolean));
  const keys: string[] = [];
  for (let i = 0; i < users; i++) {
    const out: string[] = [];
    const email = `bench${i}@example.com`;
    for (const args of [['users', 'create', '--email', email], ['keys', 'create', '--email', email]]) {
      const lines = run(args);
      if (lines === null) await cli(args, { env, stdout: (l) => out.push(l), stderr: (l) => process.stderr.write(`${l}\n`) });
      else out.push(...lines);
    }
    keys.push(out.at(-1)!);
  }
  for (const key of keys) {
    const res = await request(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`warm-up with a bench key: status ${res.statusCode}`);
  }
  return {
    url, key: keys[0]!, keys, child, log: logPath,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
      if (dbName) {
        const admin = new pg.Client({ connectionString: adminUrl });
        await admin.connect();
        await admin.query(`drop database if exists ${dbName} with (force)`);
        await admin.end();
      }
    },
  };
}
