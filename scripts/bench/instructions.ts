// `npm run bench:instructions`: user-space instructions per short chat completion, counted by
// callgrind, for the bare proxy, the floor (dispatch pass-through) and Cloister. On this kind of
// shared VM the wall-clock benchmark moves by a factor of two within seconds; an instruction
// count repeats to within a percent or two between runs of the same build, so it tells whether a
// change made a request cheaper. It counts neither the kernel (the same system calls for every
// proxy, give or take) nor stalls (cache misses), so it complements `npm run bench`, it does not
// replace it. Needs valgrind; takes a few minutes (everything runs ~50x slower under it).
// BENCH_REQUESTS (default 2000) are counted after BENCH_WARMUP (default 2000), at 16 connections.
// Like the bench, Cloister uses a fresh database on TEST_DATABASE_URL's server when it is set;
// on the embedded database (no change notifications, so every inference request is checked in
// PGlite, in process) the count says little about the proxy.
// BENCH_LIMITS=1 configures the (never refusing) limits of the bench's limited run, so every
// request pays the limit checks (Postgres's own work is not counted: only Cloister's process).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { LIMITS_ENV, startCloister, startHelper, startUpstream } from './processes.ts';
import { BODY } from './measure.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2000);
const CONNECTIONS = 16;

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  process.stderr.write('bench:instructions needs valgrind (apt-get install -y valgrind)\n');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'cloister-instructions-'));
/** valgrind, counting nothing until told to (after the warm-up). */
const callgrind = (name: string) => ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${join(dir, name)}`, `--log-file=${join(dir, `${name}.log`)}`];

/** The total the callgrind file reports (instructions while counting was on). */
function counted(name: string): number {
  const text = readFileSync(join(dir, name), 'utf8');
  // `summary` is the count when the file was opened (0: counting was off); `totals` is the count.
  const m = /^totals: (\d+)/m.exec(text);
  if (!m) throw new Error(`no total in ${name}`);
  return Number(m[1]);
}

/** Warms a target up, counts REQUESTS requests through it, stops it; instructions per request. */
async function measure(name: string, target: { url: string; pid: number; headers: Record<string, string>; stop(): Promise<void> }): Promise<number> {
  const run = (amount: number) => autocannon({
    url: `${target.url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', ...target.headers },
    body: BODY, connections: CONNECTIONS, amount, timeout: 120,
  });
  const warm = await run(WARMUP);
  if (warm.non2xx > 0 || warm.errors > 0) throw new Error(`${name}: warm-up had ${warm.non2xx} non-2xx and ${warm.errors} errors`);
  execFileSync('callgrind_control', ['--instr=on', String(target.pid)], { stdio: 'ignore' });
  const measured = await run(REQUESTS);
  execFileSync('callgrind_control', ['--instr=off', String(target.pid)], { stdio: 'ignore' });
  if (measured.non2xx > 0 || measured.errors > 0) throw new Error(`${name}: ${measured.non2xx} non-2xx and ${measured.errors} errors`);
  await target.stop();
  return Math.round(counted(name) / measured.requests.total);
}

const stage = (s: string) => process.stderr.write(`bench:instructions: ${s}\n`);
const upstream = await startUpstream(1);
try {
  const perRequest: Record<string, number> = {};
  for (const script of ['bare', 'floor'] as const) {
    stage(script);
    const helper = await startHelper(script === 'bare' ? './bare-proxy.ts' : './bare-dispatch.ts', [upstream.url], 'proxy', callgrind(script));
    perRequest[script] = await measure(script, {
      url: helper.url, pid: helper.child.pid!, headers: {},
      stop: () => new Promise<void>((resolve) => { helper.child.once('exit', () => resolve()); helper.child.disconnect(); }),
    });
  }
  stage('cloister');
  const cloister = await startCloister(upstream.url, 'instructions', {
    users: 1, wrap: callgrind('cloister'), startTimeoutMs: 600_000, env: process.env.BENCH_LIMITS === '1' ? LIMITS_ENV : {},
  });
  perRequest.cloister = await measure('cloister', { url: cloister.url, pid: cloister.child.pid!, headers: { authorization: `Bearer ${cloister.key}` }, stop: () => cloister.stop() });

  const results = {
    requests: REQUESTS, warmup: WARMUP, connections: CONNECTIONS, node: process.versions.node,
    database: process.env.TEST_DATABASE_URL ? 'postgres' : 'embedded',
    instructions_per_request: perRequest,
    cloister_over_bare: Math.round((perRequest.cloister! / perRequest.bare!) * 1000) / 1000,
    cloister_over_floor: Math.round((perRequest.cloister! / perRequest.floor!) * 1000) / 1000,
  };
  console.table(Object.fromEntries(Object.entries(perRequest).map(([k, v]) => [k, { 'instructions/request': v, '÷ bare': Math.round((v / perRequest.bare!) * 1000) / 1000 }])));
  mkdirSync('bench', { recursive: true });
  writeFileSync('bench/instructions.json', `${JSON.stringify(results, null, 2)}\n`);
  console.log('written to bench/instructions.json');
} finally {
  upstream.stop();
  rmSync(dir, { recursive: true, force: true });
}
