// `npm run bench`: what Cloister adds on top of talking to the upstream directly and on top of
// a bare undici pass-through proxy (the floor for any Node proxy; beside it `floor`, the
// leanest pass-through we know, on undici's dispatch() as Cloister is). Everything runs on
// loopback and every loop is bounded. The fake upstream, the proxies and Cloister each run in
// their own process (processes.ts; pinned to CPUs where possible); this process is the load
// generator. With TEST_DATABASE_URL Cloister uses a fresh database on that server, else
// embedded PGlite. Every measurement is repeated BENCH_ROUNDS times, targets interleaved, and
// reported as the median with the spread (min–max); throughput is measured in BENCH_SLICES
// short turns per target and round (measure.ts says why). CPU time of each process during the
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
// BENCH_PIN=0 leaves the processes wherever the scheduler puts them.
// Long streams: chat completions streamed as LONG_CHUNKS token chunks (one write each, as a model
// emits them), at 64 connections — the traffic of an LLM proxy, where the per-request cost is
// spread over the chunks; reported as streams/s and CPU per stream beside the short requests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { LIMITS_ENV, PINNED, pinLoadGenerator, startCloister, startHelper, startUpstream } from './processes.ts';
import {
  BODY, LONG_BODY, interleavedThroughput, median, openStreams, pct, round, sequential, show, spread, ttfb,
  type ThroughputRun, type ThroughputTarget,
} from './measure.ts';

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 2000);
const TTFB_RUNS = Number(process.env.BENCH_TTFB ?? 500);
const SLICES = Math.max(1, Number(process.env.BENCH_SLICES ?? 5));
const SLICE_SECONDS = Number(process.env.BENCH_SLICE_SECONDS ?? 1);
const OPEN_STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const LIMITS = process.env.BENCH_LIMITS === '1';
const USERS = Math.max(1, Number(process.env.BENCH_USERS ?? 1));
const LONG_CHUNKS = 200;

async function runBench() {
  const stage = (name: string) => process.stderr.write(`bench: ${name}\n`);
  pinLoadGenerator();
  const upstream = await startUpstream(LONG_CHUNKS);
  // Open streams in a Cloister of their own, measured fresh and stopped before the rest start.
  // Not in the Cloister whose throughput is compared: after 1,000 concurrent streams any Node
  // proxy's young generation keeps far more alive per collection afterwards (the
  // bare pass-through's scavenges: 1% of the young generation surviving and 2-3 ms each before,
  // 40-46% and 24-37 ms after; --trace-gc-nvp), so a proxy that alone had carried them would be
  // compared in another state than the ones that had not: the comparison would measure their
  // histories, not their costs.
  stage(`${OPEN_STREAMS} open streams`);
  const streams = await (async () => {
    // Every stream comes from one loopback address: above the per-IP connection cap
    // (MAX_CONNECTIONS_PER_IP, 256 by default), so the cap is raised for this one run.
    const fresh = await startCloister(upstream.url, 'streams', { users: 1, env: { MAX_CONNECTIONS_PER_IP: String(OPEN_STREAMS + 64) } });
    try {
      return await openStreams(fresh.url, fresh.key, fresh.child.pid!, upstream, OPEN_STREAMS);
    } finally {
      await fresh.stop();
    }
  })();
  const bare = await startHelper('./bare-proxy.ts', [upstream.url], 'proxy');
  const floor = await startHelper('./bare-dispatch.ts', [upstream.url], 'proxy');
  const cloister = await startCloister(upstream.url, 'plain', { users: USERS });
  const limited = LIMITS ? await startCloister(upstream.url, 'limits', { users: USERS, env: LIMITS_ENV }) : null;
  try {
    const targets: ThroughputTarget[] = [
      { name: 'direct', url: upstream.url, headers: {}, pid: upstream.child.pid! },
      { name: 'bare', url: bare.url, headers: {}, pid: bare.child.pid! },
      { name: 'floor', url: floor.url, headers: {}, pid: floor.child.pid! },
      { name: 'cloister', url: cloister.url, headers: { authorization: `Bearer ${cloister.key}` }, pid: cloister.child.pid!, keys: cloister.keys },
      ...(limited ? [{ name: 'cloister_limits', url: limited.url, headers: { authorization: `Bearer ${limited.key}` }, pid: limited.child.pid!, keys: limited.keys }] : []),
    ];

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
      for (const t of targets) if (t.name !== 'bare' && t.name !== 'floor') ttfbP50[t.name]!.push(pct(await ttfb(t.url, t.headers, TTFB_RUNS), 50));
      stage(`round ${r}/${ROUNDS}: throughput (${SLICES} turns of ${SLICE_SECONDS} s)`);
      const short = await interleavedThroughput(targets, upstream.child.pid!, BODY, SLICES, SLICE_SECONDS);
      for (const t of targets) tput[t.name]!.push(short[t.name]!);
      stage(`round ${r}/${ROUNDS}: long streams (${LONG_CHUNKS} chunks)`);
      const streamsRun = await interleavedThroughput(targets, upstream.child.pid!, LONG_BODY, SLICES, SLICE_SECONDS);
      for (const t of targets) long[t.name]!.push(streamsRun[t.name]!);
    }

    const perRound = (f: (r: number) => number) => Array.from({ length: ROUNDS }, (_, r) => f(r));
    const rps = (name: string) => tput[name]!.map((x) => x.rps);
    const cpu = (name: string, runs = tput) => {
      const keys = Object.keys(runs[name]![0]!.cpu_cores) as Array<keyof ThroughputRun['cpu_cores']>;
      return Object.fromEntries(keys.map((k) => [k, round(median(runs[name]!.map((x) => x.cpu_cores[k])), 2)]));
    };
    const addedOver = (name: string, base: string, xs: Record<string, number[]>) => spread(perRound((r) => xs[name]![r]! - xs[base]![r]!));
    const results = {
      machine: { node: process.versions.node, database: process.env.TEST_DATABASE_URL ? 'postgres' : 'embedded', attestation: process.env.BENCH_ATTESTATION ?? 'off', cpus: cpus().length, pinned: PINNED, rounds: ROUNDS, throughput_slices: SLICES, slice_seconds: SLICE_SECONDS, users: USERS },
      sequential_ms: Object.fromEntries(targets.map((t) => [t.name, { p50: spread(seqP50[t.name]!), p99: spread(seqP99[t.name]!) }])),
      added_sequential_ms: {
        p50: addedOver('cloister', 'direct', seqP50), p99: addedOver('cloister', 'direct', seqP99),
        bare_p50: addedOver('bare', 'direct', seqP50), bare_p99: addedOver('bare', 'direct', seqP99),
        over_bare_p50: addedOver('cloister', 'bare', seqP50),
      },
      stream_ttfb_ms: Object.fromEntries(targets.filter((t) => t.name !== 'bare' && t.name !== 'floor').map((t) => [t.name, spread(ttfbP50[t.name]!)])),
      added_stream_ttfb_ms: addedOver('cloister', 'direct', ttfbP50),
      throughput_rps_64_connections: Object.fromEntries(targets.map((t) => [t.name, spread(rps(t.name), 0)])),
      cloister_over_bare: spread(perRound((r) => rps('cloister')[r]! / rps('bare')[r]!)),
      cloister_over_floor: spread(perRound((r) => rps('cloister')[r]! / rps('floor')[r]!)),
      cloister_over_direct: spread(perRound((r) => rps('cloister')[r]! / rps('direct')[r]!)),
      cloister_cpu_per_request_over_bare: spread(perRound((r) => tput.cloister![r]!.proxy_cpu_us_per_request / tput.bare![r]!.proxy_cpu_us_per_request), 2),
      cpu_cores_during_throughput: Object.fromEntries(targets.map((t) => [t.name, cpu(t.name)])),
      proxy_cpu_us_per_request: Object.fromEntries(targets.map((t) => [t.name, spread(tput[t.name]!.map((x) => x.proxy_cpu_us_per_request), 0)])),
      long_streams: {
        chunks: LONG_CHUNKS,
        streams_per_s: Object.fromEntries(targets.map((t) => [t.name, spread(long[t.name]!.map((x) => x.rps), 0)])),
        cloister_over_bare: spread(perRound((r) => long.cloister![r]!.rps / long.bare![r]!.rps)),
        cloister_over_floor: spread(perRound((r) => long.cloister![r]!.rps / long.floor![r]!.rps)),
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
    console.log(`\nCloister benchmark (node ${r.machine.node}; ${r.machine.cpus} cores shared by the load generator, the upstream, the proxies${r.machine.database === 'postgres' ? ' and Postgres' : ''}${r.machine.pinned ? ' (proxies pinned to one CPU, load generator and upstream to another)' : ''}; ${r.machine.database} database; attestation ${r.machine.attestation}; ${USERS > 1 ? `throughput spread over ${USERS} users; ` : ''}median of ${ROUNDS} rounds, (min–max))\n`);
    const row = (name: string) => ({
      'seq p50 (ms)': show(r.sequential_ms[name]!.p50), 'seq p99 (ms)': show(r.sequential_ms[name]!.p99),
      'TTFB p50 (ms)': name === 'bare' || name === 'floor' ? '' : show(r.stream_ttfb_ms[name]!),
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
      'throughput ÷ floor (dispatch pass-through)': { measured: show(r.cloister_over_floor), 'bare proxy': '', target: '' },
      'throughput ÷ direct': { measured: show(r.cloister_over_direct), 'bare proxy': '', target: '' },
      'proxy CPU per request ÷ bare': { measured: show(r.cloister_cpu_per_request_over_bare), 'bare proxy': 1, target: '' },
      [`long streams (${LONG_CHUNKS} chunks) ÷ bare`]: { measured: show(r.long_streams.cloister_over_bare), 'bare proxy': 1, target: '' },
      [`long streams ÷ floor`]: { measured: show(r.long_streams.cloister_over_floor), 'bare proxy': '', target: '' },
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
    floor.child.disconnect();
    upstream.stop();
  }
}

await runBench();
