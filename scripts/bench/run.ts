// `npm run bench`: what Cloister adds on top of talking to the upstream directly and on top of
// a bare undici pass-through proxy (the floor for any Node proxy). Everything runs on loopback
// and every loop is bounded. The fake upstream, the bare proxy and Cloister each run in their
// own process (so both proxies run under the same conditions); this process is the load
// generator. With TEST_DATABASE_URL Cloister uses a fresh database on that server, else
// embedded PGlite. Every measurement is repeated BENCH_ROUNDS times, targets interleaved, and
// reported as the median with the spread (min–max). CPU time of each process during the
// throughput runs shows which one is saturated. Prints a table and writes bench/results.json.
// Reports numbers; asserts nothing.
// BENCH_ATTESTATION=simulated also signs every completion, as production does.
// BENCH_LIMITS=1 also runs a second Cloister with (unreachably high) rate limits, concurrency
// and budgets configured, so every inference request pays the limit checks, and reports the
// difference from the one without.
// BENCH_USERS=N spreads the throughput runs' requests over N users (one API key each, taken in
// turn): limits are per user, so one user on 64 connections is their worst case and many users
// the usual one. Sequential and TTFB runs use the first key.
// BENCH_NODE_OPTIONS is passed to the Cloister processes (e.g. --cpu-prof --cpu-prof-dir=DIR).
// Long streams: chat completions streamed as LONG_CHUNKS token chunks (one write each, as a model
// emits them), at 64 connections — the traffic of an LLM proxy, where the per-request cost is
// spread over the chunks; reported as streams/s and CPU per stream beside the short requests.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import autocannon from 'autocannon';
import pg from 'pg';
import { main as cli } from '../../src/cli.ts';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const TTFB_RUNS = Number(process.env.BENCH_TTFB ?? 500);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const OPEN_STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const LIMITS = process.env.BENCH_LIMITS === '1';
const USERS = Math.max(1, Number(process.env.BENCH_USERS ?? 1));
const CONNECTIONS = 64;
const LONG_CHUNKS = 200;
const BIN = fileURLToPath(new URL('../../bin/cloister.js', import.meta.url));
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

const BODY = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'hello' }] });
const STREAM_BODY = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'hello' }] });
const HOLD_BODY = JSON.stringify({ model: 'hold', stream: true, messages: [{ role: 'user', content: 'hello' }] });
const LONG_BODY = JSON.stringify({ model: 'long', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hello' }] });
/** High enough never to refuse a bench request, so every request pays the checks and nothing else. */
const LIMITS_ENV = { RATE_LIMIT_RPM: '100000000', RATE_LIMIT_TPM: '1000000000', RATE_LIMIT_CONCURRENCY: '100000', BUDGET_DAILY_TOKENS: '1000000000000' };

/** Starts a helper script in its own process and waits for the {"url"} line it prints. */
async function startHelper(script: string, args: string[] = []): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [here(script), ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
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

async function startUpstream() {
  const { url, child } = await startHelper('./upstream.ts', [String(LONG_CHUNKS)]);
  return {
    url, child,
    release: () => new Promise<void>((resolve) => { child.once('message', () => resolve()); child.send('release'); }),
    stop: () => { child.disconnect(); },
  };
}

interface Cloister { url: string; key: string; keys: string[]; child: ChildProcess; stop(): Promise<void> }

async function startCloister(upstream: string, label: string, extraEnv: Record<string, string> = {}): Promise<Cloister> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloister-bench-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: dataDir, OPENAI_BASE_URL: `${upstream}/v1`, LOG_LEVEL: 'warn',
    ATTESTATION_MODE: process.env.BENCH_ATTESTATION ?? 'off', STREAM_HEARTBEAT_MS: '600000', ...extraEnv,
  };
  let dbName: string | null = null;
  if (process.env.TEST_DATABASE_URL) {
    dbName = `cloister_bench_${process.pid}_${label}`;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName}`);
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(process.env.TEST_DATABASE_URL);
    u.pathname = `/${dbName}`;
    env.DATABASE_URL = u.href;
  }
  const nodeArgs = (process.env.BENCH_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  // LOG_LEVEL info for the process: the access log line is part of what a request costs. The
  // log goes to a file, as it would to a collector: read through a pipe by this process, it
  // would take CPU from the load generator during the runs.
  const logPath = join(dataDir, 'cloister.log');
  const logFd = openSync(logPath, 'a');
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve'], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', logFd, 'inherit'] });
  closeSync(logFd);
  let exited = false;
  child.once('exit', () => { exited = true; });
  const url = await (async () => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline && !exited;) {
      const line = readFileSync(logPath, 'utf8').split('\n').find((l) => l.includes('"server.listening"'));
      if (line) return (JSON.parse(line) as { url: string }).url;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`cloister did not start:\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
  })();
  const keys: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const out: string[] = [];
    const email = `bench${i}@example.com`;
    await cli(['users', 'create', '--email', email], { env, stdout: () => {}, stderr: (l) => process.stderr.write(`${l}\n`) });
    await cli(['keys', 'create', '--email', email], { env, stdout: (l) => out.push(l), stderr: (l) => process.stderr.write(`${l}\n`) });
    keys.push(out.at(-1)!);
  }
  for (const key of keys) {
    const res = await request(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`warm-up with a bench key: status ${res.statusCode}`);
  }
  return {
    url, key: keys[0]!, keys, child,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
      if (dbName) {
        const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await admin.connect();
        await admin.query(`drop database if exists ${dbName} with (force)`);
        await admin.end();
      }
    },
  };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => pct(xs, 50);
/** The median of several runs and their spread. */
const spread = (xs: number[], digits = 3) => ({ median: round(median(xs), digits), min: round(Math.min(...xs), digits), max: round(Math.max(...xs), digits) });
const show = (s: { median: number; min: number; max: number }) => (s.min === s.max ? `${s.median}` : `${s.median} (${s.min}–${s.max})`);

/** Sequential request latency in ms (one connection, keep-alive). */
async function sequential(url: string, headers: Record<string, string>, n: number): Promise<number[]> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
  const times: number[] = [];
  for (let i = 0; i < n + 50; i++) {
    const t0 = performance.now();
    const res = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY, dispatcher: agent });
    await res.body.arrayBuffer();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    if (i >= 50) times.push(performance.now() - t0); // first 50 warm up
  }
  await agent.close();
  return times;
}

/** Time to the first body byte of a stream, in ms. */
async function ttfb(url: string, headers: Record<string, string>, n: number): Promise<number[]> {
  const agent = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
  const times: number[] = [];
  for (let i = 0; i < n + 20; i++) {
    const t0 = performance.now();
    const res = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: STREAM_BODY, dispatcher: agent });
    let first = 0;
    for await (const _ of res.body) { if (first === 0) first = performance.now() - t0; }
    if (i >= 20) times.push(first);
  }
  await agent.close();
  return times;
}

const TICK = 100; // USER_HZ on Linux
/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return 0;
  }
}
/** CPU seconds of every local Postgres process (the server shares the cores when it is local). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') total += cpuSeconds(Number(pid));
    } catch { /* gone */ }
  }
  return total;
}
/** Busy fraction of the whole machine from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

interface Processes { proxy: number; upstream: number }
/** Requests per second at 64 connections, with each process's CPU use (in cores) during the run. */
async function throughput(url: string, headers: Record<string, string>, pids: Processes, keys: string[] = [], body = BODY) {
  const before = { proxy: cpuSeconds(pids.proxy), upstream: cpuSeconds(pids.upstream), pg: postgresCpuSeconds(), self: process.cpuUsage(), machine: machineTicks(), t: performance.now() };
  let turn = 0;
  // With several keys, each request takes the next one (so every user sees its share).
  const rotate = keys.length > 1
    ? [{ method: 'POST' as const, path: '/v1/chat/completions', body, setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${keys[turn++ % keys.length]}` } }) }]
    : undefined;
  const result = await autocannon({ url: `${url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections: CONNECTIONS, duration: THROUGHPUT_SECONDS, ...(rotate ? { requests: rotate } : {}) });
  const seconds = (performance.now() - before.t) / 1000;
  const self = process.cpuUsage(before.self);
  const machine = machineTicks();
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`throughput run had ${result.non2xx} non-2xx and ${result.errors} errors`);
  const proxySeconds = cpuSeconds(pids.proxy) - before.proxy;
  return {
    rps: result.requests.average,
    latency_p99_ms: result.latency.p99,
    /** the proxy's own CPU per request: the least noisy measure of what a request costs it */
    proxy_cpu_us_per_request: Math.round((proxySeconds / Math.max(1, result.requests.total)) * 1e6),
    cpu_cores: {
      proxy: round(proxySeconds / seconds, 2),
      upstream: round((cpuSeconds(pids.upstream) - before.upstream) / seconds, 2),
      load_generator: round((self.user + self.system) / 1e6 / seconds, 2),
      postgres: round((postgresCpuSeconds() - before.pg) / seconds, 2),
      machine_busy: round(((machine.busy - before.machine.busy) / (machine.total - before.machine.total)) * cpus().length, 2),
    },
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Opens `n` streams through Cloister that stay open, reads its RSS, then releases them. */
async function openStreams(url: string, key: string, pid: number, upstream: { release(): Promise<void> }, n: number) {
  const idle = rssMb(pid);
  const agent = new Agent({ connections: n + 10, keepAliveTimeout: 60_000 });
  let firstChunks = 0;
  const done = Array.from({ length: n }, async () => {
    const res = await request(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: HOLD_BODY, dispatcher: agent, bodyTimeout: 0, headersTimeout: 0 });
    let seen = false;
    for await (const _ of res.body) { if (!seen) { seen = true; firstChunks++; } }
  });
  const deadline = Date.now() + 60_000;
  while (firstChunks < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const open = rssMb(pid);
  await upstream.release();
  await Promise.allSettled(done);
  await agent.close();
  return { idle_mb: Math.round(idle), with_streams_mb: Math.round(open), streams_open: firstChunks };
}

type Target = { name: string; url: string; headers: Record<string, string>; pid: number; keys?: string[] };
type ThroughputRun = Awaited<ReturnType<typeof throughput>>;

async function runBench() {
  const stage = (name: string) => process.stderr.write(`bench: ${name}\n`);
  const upstream = await startUpstream();
  const bare = await startHelper('./bare-proxy.ts', [upstream.url]);
  const cloister = await startCloister(upstream.url, 'plain');
  const limited = LIMITS ? await startCloister(upstream.url, 'limits', LIMITS_ENV) : null;
  try {
    const targets: Target[] = [
      { name: 'direct', url: upstream.url, headers: {}, pid: upstream.child.pid! },
      { name: 'bare', url: bare.url, headers: {}, pid: bare.child.pid! },
      { name: 'cloister', url: cloister.url, headers: { authorization: `Bearer ${cloister.key}` }, pid: cloister.child.pid!, keys: cloister.keys },
      ...(limited ? [{ name: 'cloister_limits', url: limited.url, headers: { authorization: `Bearer ${limited.key}` }, pid: limited.child.pid!, keys: limited.keys }] : []),
    ];
    // Streams first, in a fresh process: after a throughput blast V8 keeps a grown heap, which
    // would measure the load generator's history rather than what open streams cost.
    stage(`${OPEN_STREAMS} open streams`);
    const streams = await openStreams(cloister.url, cloister.key, cloister.child.pid!, upstream, OPEN_STREAMS);

    const seqP50: Record<string, number[]> = {};
    const seqP99: Record<string, number[]> = {};
    const ttfbP50: Record<string, number[]> = {};
    const tput: Record<string, ThroughputRun[]> = {};
    const long: Record<string, ThroughputRun[]> = {};
    for (const t of targets) { seqP50[t.name] = []; seqP99[t.name] = []; ttfbP50[t.name] = []; tput[t.name] = []; long[t.name] = []; }
    // Rounds interleave the targets, so a burst of other load on the shared machine hits all of
    // them alike; the spread across rounds shows how much that noise moves each number.
    for (let r = 1; r <= ROUNDS; r++) {
      stage(`round ${r}/${ROUNDS}: sequential`);
      for (const t of targets) {
        const times = await sequential(t.url, t.headers, SEQUENTIAL);
        seqP50[t.name]!.push(pct(times, 50));
        seqP99[t.name]!.push(pct(times, 99));
      }
      stage(`round ${r}/${ROUNDS}: stream ttfb`);
      for (const t of targets) if (t.name !== 'bare') ttfbP50[t.name]!.push(pct(await ttfb(t.url, t.headers, TTFB_RUNS), 50));
      stage(`round ${r}/${ROUNDS}: throughput`);
      for (const t of targets) tput[t.name]!.push(await throughput(t.url, t.headers, { proxy: t.pid, upstream: upstream.child.pid! }, t.keys));
      stage(`round ${r}/${ROUNDS}: long streams (${LONG_CHUNKS} chunks)`);
      for (const t of targets) long[t.name]!.push(await throughput(t.url, t.headers, { proxy: t.pid, upstream: upstream.child.pid! }, t.keys, LONG_BODY));
    }

    const perRound = (f: (r: number) => number) => Array.from({ length: ROUNDS }, (_, r) => f(r));
    const rps = (name: string) => tput[name]!.map((x) => x.rps);
    const cpu = (name: string, runs = tput) => {
      const keys = Object.keys(runs[name]![0]!.cpu_cores) as Array<keyof ThroughputRun['cpu_cores']>;
      return Object.fromEntries(keys.map((k) => [k, round(median(runs[name]!.map((x) => x.cpu_cores[k])), 2)]));
    };
    const addedOver = (name: string, base: string, xs: Record<string, number[]>) => spread(perRound((r) => xs[name]![r]! - xs[base]![r]!));
    const results = {
      machine: { node: process.versions.node, database: process.env.TEST_DATABASE_URL ? 'postgres' : 'embedded', attestation: process.env.BENCH_ATTESTATION ?? 'off', cpus: cpus().length, rounds: ROUNDS, throughput_seconds: THROUGHPUT_SECONDS, users: USERS },
      sequential_ms: Object.fromEntries(targets.map((t) => [t.name, { p50: spread(seqP50[t.name]!), p99: spread(seqP99[t.name]!) }])),
      added_sequential_ms: {
        p50: addedOver('cloister', 'direct', seqP50), p99: addedOver('cloister', 'direct', seqP99),
        bare_p50: addedOver('bare', 'direct', seqP50), bare_p99: addedOver('bare', 'direct', seqP99),
        over_bare_p50: addedOver('cloister', 'bare', seqP50),
      },
      stream_ttfb_ms: Object.fromEntries(targets.filter((t) => t.name !== 'bare').map((t) => [t.name, spread(ttfbP50[t.name]!)])),
      added_stream_ttfb_ms: addedOver('cloister', 'direct', ttfbP50),
      throughput_rps_64_connections: Object.fromEntries(targets.map((t) => [t.name, spread(rps(t.name), 0)])),
      cloister_over_bare: spread(perRound((r) => rps('cloister')[r]! / rps('bare')[r]!)),
      cloister_over_direct: spread(perRound((r) => rps('cloister')[r]! / rps('direct')[r]!)),
      cloister_cpu_per_request_over_bare: spread(perRound((r) => tput.cloister![r]!.proxy_cpu_us_per_request / tput.bare![r]!.proxy_cpu_us_per_request), 2),
      cpu_cores_during_throughput: Object.fromEntries(targets.map((t) => [t.name, cpu(t.name)])),
      proxy_cpu_us_per_request: Object.fromEntries(targets.map((t) => [t.name, spread(tput[t.name]!.map((x) => x.proxy_cpu_us_per_request), 0)])),
      long_streams: {
        chunks: LONG_CHUNKS,
        streams_per_s: Object.fromEntries(targets.map((t) => [t.name, spread(long[t.name]!.map((x) => x.rps), 0)])),
        cloister_over_bare: spread(perRound((r) => long.cloister![r]!.rps / long.bare![r]!.rps)),
        proxy_cpu_us_per_stream: Object.fromEntries(targets.map((t) => [t.name, spread(long[t.name]!.map((x) => x.proxy_cpu_us_per_request), 0)])),
        cloister_cpu_per_stream_over_bare: spread(perRound((r) => long.cloister![r]!.proxy_cpu_us_per_request / long.bare![r]!.proxy_cpu_us_per_request), 2),
        cpu_cores: Object.fromEntries(targets.map((t) => [t.name, cpu(t.name, long)])),
      },
      ...(limited ? {
        limits: {
          added_p50_ms: addedOver('cloister_limits', 'cloister', seqP50),
          added_p99_ms: addedOver('cloister_limits', 'cloister', seqP99),
          added_ttfb_ms: addedOver('cloister_limits', 'cloister', ttfbP50),
          throughput_over_without: spread(perRound((r) => rps('cloister_limits')[r]! / rps('cloister')[r]!)),
        },
      } : {}),
      open_streams: streams,
      targets: { added_p50_ms: 1, added_p99_ms: 3, ttfb_added_ms: 1, throughput_over_bare: 0.8, rss_1000_streams_mb: 300 },
    };
    mkdirSync('bench', { recursive: true });
    writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
    const r = results;
    console.log(`\nCloister benchmark (node ${r.machine.node}; ${r.machine.cpus} cores shared by the load generator, the upstream, the proxies${r.machine.database === 'postgres' ? ' and Postgres' : ''}; ${r.machine.database} database; attestation ${r.machine.attestation}; ${USERS > 1 ? `throughput spread over ${USERS} users; ` : ''}median of ${ROUNDS} rounds, (min–max))\n`);
    const row = (name: string) => ({
      'seq p50 (ms)': show(r.sequential_ms[name]!.p50), 'seq p99 (ms)': show(r.sequential_ms[name]!.p99),
      'TTFB p50 (ms)': name === 'bare' ? '' : show(r.stream_ttfb_ms[name]!),
      'req/s, 64 conns': show(r.throughput_rps_64_connections[name]!),
      'CPU cores: proxy / upstream / loadgen / pg': ((c) => `${c.proxy} / ${c.upstream} / ${c.load_generator} / ${c.postgres}`)(r.cpu_cores_during_throughput[name]!),
      'proxy CPU µs/req': name === 'direct' ? '' : show(r.proxy_cpu_us_per_request[name]!),
    });
    console.table(Object.fromEntries(targets.map((t) => [t.name, row(t.name)])));
    console.log(`Long streams (${LONG_CHUNKS} token chunks each, 64 connections):`);
    console.table(Object.fromEntries(targets.map((t) => [t.name, {
      'streams/s': show(r.long_streams.streams_per_s[t.name]!),
      'CPU cores: proxy / upstream / loadgen / pg': ((c) => `${c.proxy} / ${c.upstream} / ${c.load_generator} / ${c.postgres}`)(r.long_streams.cpu_cores[t.name]!),
      'proxy CPU µs/stream': t.name === 'direct' ? '' : show(r.long_streams.proxy_cpu_us_per_stream[t.name]!),
    }])));
    console.table({
      'added p50, sequential (ms)': { measured: show(r.added_sequential_ms.p50), 'bare proxy': show(r.added_sequential_ms.bare_p50), target: '≤ 1' },
      'added p99, sequential (ms)': { measured: show(r.added_sequential_ms.p99), 'bare proxy': show(r.added_sequential_ms.bare_p99), target: '≤ 3' },
      'added stream TTFB p50 (ms)': { measured: show(r.added_stream_ttfb_ms), 'bare proxy': '', target: '≤ 1' },
      'throughput ÷ bare': { measured: show(r.cloister_over_bare), 'bare proxy': 1, target: '≥ 0.8' },
      'throughput ÷ direct': { measured: show(r.cloister_over_direct), 'bare proxy': '', target: '' },
      'proxy CPU per request ÷ bare': { measured: show(r.cloister_cpu_per_request_over_bare), 'bare proxy': 1, target: '' },
      [`long streams (${LONG_CHUNKS} chunks) ÷ bare`]: { measured: show(r.long_streams.cloister_over_bare), 'bare proxy': 1, target: '' },
      'proxy CPU per long stream ÷ bare': { measured: show(r.long_streams.cloister_cpu_per_stream_over_bare), 'bare proxy': 1, target: '' },
      [`RSS, ${r.open_streams.streams_open} open streams (MB)`]: { measured: r.open_streams.with_streams_mb, 'bare proxy': '', target: `≤ 300 (idle ${r.open_streams.idle_mb})` },
    });
    if (r.limits) {
      console.log('\nLimits configured (BENCH_LIMITS=1) versus the same Cloister without:');
      console.table({
        'added p50 (ms)': { measured: show(r.limits.added_p50_ms) },
        'added p99 (ms)': { measured: show(r.limits.added_p99_ms) },
        'added stream TTFB p50 (ms)': { measured: show(r.limits.added_ttfb_ms) },
        'throughput ÷ without limits': { measured: show(r.limits.throughput_over_without) },
      });
    }
    console.log('written to bench/results.json');
  } finally {
    await cloister.stop();
    await limited?.stop();
    bare.child.disconnect();
    upstream.stop();
  }
}

await runBench();
