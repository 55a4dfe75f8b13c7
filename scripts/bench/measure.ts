// What the bench measures, and the small statistics it reports with. Every loop is bounded.
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { Agent, request } from 'undici';
import autocannon from 'autocannon';

export const CONNECTIONS = 64;
export const BODY = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'hello' }] });
export const STREAM_BODY = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'hello' }] });
export const HOLD_BODY = JSON.stringify({ model: 'hold', stream: true, messages: [{ role: 'user', content: 'hello' }] });
export const LONG_BODY = JSON.stringify({ model: 'long', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hello' }] });

export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
export const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;
export const median = (xs: number[]) => pct(xs, 50);
/** The median of several runs and their spread. */
export const spread = (xs: number[], digits = 3) => ({ median: round(median(xs), digits), min: round(Math.min(...xs), digits), max: round(Math.max(...xs), digits) });
export const show = (s: { median: number; min: number; max: number }) => (s.min === s.max ? `${s.median}` : `${s.median} (${s.min}–${s.max})`);

/** Sequential request latency in ms (one connection, keep-alive). */
export async function sequential(url: string, headers: Record<string, string>, n: number): Promise<number[]> {
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
export async function ttfb(url: string, headers: Record<string, string>, n: number): Promise<number[]> {
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

export interface Processes { proxy: number; upstream: number }
/** Requests per second at 64 connections for `duration` seconds, with each process's CPU use (in cores) during the run. */
export async function throughput(url: string, headers: Record<string, string>, pids: Processes, keys: string[], body: string, duration: number) {
  const before = { proxy: cpuSeconds(pids.proxy), upstream: cpuSeconds(pids.upstream), pg: postgresCpuSeconds(), self: process.cpuUsage(), machine: machineTicks(), t: performance.now() };
  let turn = 0;
  // With several keys, each request takes the next one (so every user sees its share).
  const rotate = keys.length > 1
    ? [{ method: 'POST' as const, path: '/v1/chat/completions', body, setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${keys[turn++ % keys.length]}` } }) }]
    : undefined;
  const result = await autocannon({ url: `${url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections: CONNECTIONS, duration, ...(rotate ? { requests: rotate } : {}) });
  const seconds = (performance.now() - before.t) / 1000;
  const self = process.cpuUsage(before.self);
  const machine = machineTicks();
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`throughput run had ${result.non2xx} non-2xx and ${result.errors} errors at ${url}: ${JSON.stringify(result.statusCodeStats)}`);
  const proxySeconds = cpuSeconds(pids.proxy) - before.proxy;
  return {
    requests: result.requests.total,
    seconds,
    rps: result.requests.total / seconds,
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

export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Opens `n` streams through Cloister that stay open, reads its RSS, then releases them. */
export async function openStreams(url: string, key: string, pid: number, upstream: { release(): Promise<void> }, n: number) {
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

export type ThroughputRun = Awaited<ReturnType<typeof throughput>>;
export interface ThroughputTarget { name: string; url: string; headers: Record<string, string>; pid: number; keys?: string[] }

/** Pools slices of one target: requests over seconds, CPU per request weighted by requests, cores averaged. */
function pool(runs: ThroughputRun[]): ThroughputRun {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const seconds = runs.reduce((a, r) => a + r.seconds, 0);
  const mean = (f: (r: ThroughputRun) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  const cores = runs[0]!.cpu_cores;
  return {
    requests, seconds, rps: requests / seconds,
    latency_p99_ms: median(runs.map((r) => r.latency_p99_ms)),
    proxy_cpu_us_per_request: Math.round(runs.reduce((a, r) => a + r.proxy_cpu_us_per_request * r.requests, 0) / Math.max(1, requests)),
    cpu_cores: Object.fromEntries(Object.keys(cores).map((k) => [k, round(mean((r) => r.cpu_cores[k as keyof typeof cores]), 2)])) as typeof cores,
  };
}

/**
 * Throughput of every target from `slices` short runs each, the targets taking turns (in
 * reverse order every other turn). This VM's speed drifts by a factor of two and more within
 * seconds; targets measured a second apart meet nearly the same machine, and ratios between
 * them hold where one long run each would mostly measure the drift.
 */
export async function interleavedThroughput(targets: ThroughputTarget[], upstreamPid: number, body: string, slices: number, sliceSeconds: number): Promise<Record<string, ThroughputRun>> {
  const runs: Record<string, ThroughputRun[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let i = 0; i < slices; i++) {
    for (const t of i % 2 === 0 ? targets : [...targets].reverse()) {
      runs[t.name]!.push(await throughput(t.url, t.headers, { proxy: t.pid, upstream: upstreamPid }, t.keys ?? [], body, sliceSeconds));
    }
  }
  return Object.fromEntries(targets.map((t) => [t.name, pool(runs[t.name]!)]));
}
