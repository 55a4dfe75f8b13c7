// `npm run bench`: what Cloister adds on top of talking to the upstream directly and on top of
// a bare undici pass-through proxy (the floor for any Node proxy). Everything runs on loopback
// and every loop is bounded. Cloister runs as a child process (`cloister serve`) so its RSS is
// its own; with TEST_DATABASE_URL it uses a fresh database on that server, else embedded PGlite.
// Prints a table and writes bench/results.json. Reports numbers; asserts nothing.
// BENCH_ATTESTATION=simulated also signs every completion (two signatures + one row), as production does.
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import autocannon from 'autocannon';
import pg from 'pg';
import { main as cli } from '../../src/cli.ts';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const TTFB_RUNS = Number(process.env.BENCH_TTFB ?? 500);
const THROUGHPUT_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const OPEN_STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const BIN = fileURLToPath(new URL('../../bin/cloister.js', import.meta.url));

const COMPLETION = JSON.stringify({ id: 'chatcmpl_bench', object: 'chat.completion', created: 1, model: 'bench', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } });
const CHUNK = (c: string) => `data: ${JSON.stringify({ id: 'chatcmpl_bench', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: c } }] })}\n\n`;
const BODY = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'hello' }] });
const STREAM_BODY = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'hello' }] });
const HOLD_BODY = JSON.stringify({ model: 'hold', stream: true, messages: [{ role: 'user', content: 'hello' }] });

/** The upstream: answers at once; "hold" streams send one chunk and stay open until released. */
async function startUpstream() {
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (req.url?.endsWith('/models')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"object":"list","data":[]}'); return; }
      if (body.includes('"stream":true')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(CHUNK('o'));
        if (body.includes('"hold"')) { held.add(res); return; }
        res.write(CHUNK('k'));
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION) });
      res.end(COMPLETION);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, release: () => { for (const r of held) r.end('data: [DONE]\n\n'); held.clear(); } };
}

/** The floor: a bare undici pass-through with no auth or bookkeeping. */
async function startBareProxy(upstream: string) {
  const agent = new Agent({ connections: 256, keepAliveTimeout: 60_000 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const up = await request(upstream + req.url, { method: req.method as 'POST', headers: { 'content-type': 'application/json' }, body: chunks.length ? Buffer.concat(chunks) : undefined, dispatcher: agent });
        res.writeHead(up.statusCode, { 'content-type': String(up.headers['content-type'] ?? '') });
        for await (const c of up.body) res.write(c);
        res.end();
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function startCloister(upstream: string): Promise<{ url: string; key: string; child: ChildProcess; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloister-bench-'));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: '0', DATA_DIR: dataDir, OPENAI_BASE_URL: `${upstream}/v1`, LOG_LEVEL: 'warn', ATTESTATION_MODE: process.env.BENCH_ATTESTATION ?? 'off', STREAM_HEARTBEAT_MS: '600000' };
  let dbName: string | null = null;
  if (process.env.TEST_DATABASE_URL) {
    dbName = `cloister_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${dbName}`);
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(process.env.TEST_DATABASE_URL);
    u.pathname = `/${dbName}`;
    env.DATABASE_URL = u.href;
  }
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"server.listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', () => reject(new Error('cloister exited')));
  });
  child.stdout!.resume();
  const cliEnv = { ...env };
  const out: string[] = [];
  await cli(['users', 'create', '--email', 'bench@example.com'], { env: cliEnv, stdout: () => {}, stderr: (l) => process.stderr.write(`${l}\n`) });
  await cli(['keys', 'create', '--email', 'bench@example.com'], { env: cliEnv, stdout: (l) => out.push(l), stderr: (l) => process.stderr.write(`${l}\n`) });
  return {
    url, key: out.at(-1)!, child,
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

async function throughput(url: string, headers: Record<string, string>): Promise<number> {
  const result = await autocannon({ url: `${url}/v1/chat/completions`, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY, connections: 64, duration: THROUGHPUT_SECONDS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`throughput run had ${result.non2xx} non-2xx and ${result.errors} errors`);
  return result.requests.average;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

/** Opens `n` streams through Cloister that stay open, reads its RSS, then releases them. */
async function openStreams(url: string, key: string, pid: number, upstream: { release(): void }, n: number) {
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
  upstream.release();
  await Promise.allSettled(done);
  await agent.close();
  return { idle_mb: Math.round(idle), with_streams_mb: Math.round(open), streams_open: firstChunks };
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function runBench() {
  const upstream = await startUpstream();
  const bare = await startBareProxy(upstream.url);
  const cloister = await startCloister(upstream.url);
  const auth = { authorization: `Bearer ${cloister.key}` };
  try {
    const stage = (name: string) => process.stderr.write(`bench: ${name}\n`);
    // Streams first, in a fresh process: after a throughput blast V8 keeps a grown heap, which
    // would measure the load generator's history rather than what open streams cost.
    stage(`${OPEN_STREAMS} open streams`);
    const streams = await openStreams(cloister.url, cloister.key, cloister.child.pid!, upstream, OPEN_STREAMS);
    stage('sequential');
    const seq = { direct: await sequential(upstream.url, {}, SEQUENTIAL), bare: await sequential(bare.url, {}, SEQUENTIAL), cloister: await sequential(cloister.url, auth, SEQUENTIAL) };
    stage('stream ttfb');
    const first = { direct: await ttfb(upstream.url, {}, TTFB_RUNS), cloister: await ttfb(cloister.url, auth, TTFB_RUNS) };
    stage('throughput');
    const rps = { direct: await throughput(upstream.url, {}), bare: await throughput(bare.url, {}), cloister: await throughput(cloister.url, auth) };
    const results = {
      machine: { node: process.versions.node, database: process.env.TEST_DATABASE_URL ? 'postgres' : 'embedded', attestation: process.env.BENCH_ATTESTATION ?? 'off', cpus: (await import('node:os')).cpus().length },
      sequential_ms: {
        direct_p50: round(pct(seq.direct, 50)), direct_p99: round(pct(seq.direct, 99)),
        bare_p50: round(pct(seq.bare, 50)), bare_p99: round(pct(seq.bare, 99)),
        cloister_p50: round(pct(seq.cloister, 50)), cloister_p99: round(pct(seq.cloister, 99)),
        added_p50: round(pct(seq.cloister, 50) - pct(seq.direct, 50)), added_p99: round(pct(seq.cloister, 99) - pct(seq.direct, 99)),
        added_over_bare_p50: round(pct(seq.cloister, 50) - pct(seq.bare, 50)),
      },
      stream_ttfb_ms: { direct_p50: round(pct(first.direct, 50)), cloister_p50: round(pct(first.cloister, 50)), added_p50: round(pct(first.cloister, 50) - pct(first.direct, 50)) },
      throughput_rps_64_connections: {
        direct: Math.round(rps.direct), bare: Math.round(rps.bare), cloister: Math.round(rps.cloister),
        cloister_over_bare: round(rps.cloister / rps.bare), cloister_over_direct: round(rps.cloister / rps.direct),
      },
      open_streams: streams,
      targets: { added_p50_ms: 1, added_p99_ms: 3, ttfb_added_ms: 1, throughput_over_bare: 0.8, rss_1000_streams_mb: 300 },
    };
    mkdirSync('bench', { recursive: true });
    writeFileSync('bench/results.json', `${JSON.stringify(results, null, 2)}\n`);
    const r = results;
    console.log(`\nCloister benchmark (node ${r.machine.node}, ${r.machine.cpus} cores shared by load generator, upstream and proxy; ${r.machine.database} database; attestation ${r.machine.attestation})\n`);
    console.table({
      'sequential p50 (ms)': { direct: r.sequential_ms.direct_p50, bare: r.sequential_ms.bare_p50, cloister: r.sequential_ms.cloister_p50, added: r.sequential_ms.added_p50, target: '≤ 1 added' },
      'sequential p99 (ms)': { direct: r.sequential_ms.direct_p99, bare: r.sequential_ms.bare_p99, cloister: r.sequential_ms.cloister_p99, added: r.sequential_ms.added_p99, target: '≤ 3 added' },
      'stream TTFB p50 (ms)': { direct: r.stream_ttfb_ms.direct_p50, bare: '', cloister: r.stream_ttfb_ms.cloister_p50, added: r.stream_ttfb_ms.added_p50, target: '≤ 1 added' },
      'throughput, 64 conns (req/s)': { direct: r.throughput_rps_64_connections.direct, bare: r.throughput_rps_64_connections.bare, cloister: r.throughput_rps_64_connections.cloister, added: `${r.throughput_rps_64_connections.cloister_over_bare} × bare`, target: '≥ 0.8 × bare' },
      [`RSS, ${r.open_streams.streams_open} open streams (MB)`]: { direct: '', bare: '', cloister: r.open_streams.with_streams_mb, added: `before ${r.open_streams.idle_mb}`, target: '≤ 300' },
    });
    console.log('written to bench/results.json');
  } finally {
    await cloister.stop();
    bare.server.close();
    upstream.server.closeAllConnections();
    upstream.server.close();
  }
}

await runBench();
