// `npm run soak`: a real `cloister serve` on real Postgres (a fresh database, created and
// dropped; SOAK_DATABASE_URL or TEST_DATABASE_URL names the server, default the local 5432
// one), with the bench's fake upstream in its own process, driven at a steady rate by mixed
// traffic — short JSON, short streams, long streams (200 chunks), streams the client abandons
// after the first chunk — from two users, with the limit checks on (unreachably high). Every
// SOAK_SAMPLE_SECONDS the server's RSS and heap are read after a full GC (through its
// inspector); after the warm-up their slope (least squares, MB/min) is reported with the error
// counts (expected: the abandoned streams; unexpected: anything else, and any error line in
// the server's log) and latency percentiles per kind. Bounded: SOAK_SECONDS (default 600).
// Exits 1 when the target is missed: RSS slope >= SOAK_MAX_RSS_SLOPE (1 MB/min) after warm-up,
// or any unexpected error. Not part of CI.
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { LIMITS_ENV, startCloister, startUpstream } from '../bench/processes.ts';
import { pct, round } from '../bench/measure.ts';
import { connectInspector, freePort, type MemorySample } from './inspector.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const RPS = Number(process.env.SOAK_RPS ?? 20);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? Math.max(2, Math.min(10, SECONDS / 30)));
const WARMUP_SECONDS = Number(process.env.SOAK_WARMUP_SECONDS ?? Math.min(120, SECONDS / 4));
const MAX_RSS_SLOPE = Number(process.env.SOAK_MAX_RSS_SLOPE ?? 1);
const DATABASE = process.env.SOAK_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

type Kind = 'json' | 'stream' | 'long' | 'abort';
/** One turn of the mix: what each request is, and whose (user 0 or 1). */
const MIX: ReadonlyArray<readonly [Kind, number]> = [['json', 0], ['stream', 1], ['json', 1], ['long', 0], ['stream', 0], ['abort', 1], ['json', 0], ['long', 1], ['stream', 1], ['abort', 0]];

interface Outcome { readonly kind: Kind; readonly at: number; readonly ms: number; readonly ok: boolean; readonly expected: boolean; readonly why?: string }

/** Sends one request of `kind` and says how it went (never throws). */
async function send(url: string, key: string, kind: Kind): Promise<Omit<Outcome, 'at'>> {
  const started = performance.now();
  const stream = kind !== 'json';
  const ac = new AbortController();
  const body = JSON.stringify({ model: kind === 'long' || kind === 'abort' ? 'long' : 'soak', stream, messages: [{ role: 'user', content: 'hi' }] });
  try {
    const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body, signal: ac.signal, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      return { kind, ms: performance.now() - started, ok: false, expected: false, why: `status ${res.statusCode}: ${text.slice(0, 200)}` };
    }
    if (kind === 'abort') {
      for await (const _ of res.body) { ac.abort(); break; }
      return { kind, ms: performance.now() - started, ok: false, expected: true };
    }
    const text = await res.body.text();
    const complete = stream ? text.endsWith('data: [DONE]\n\n') && !text.includes('event: error') : text.startsWith('{"id"');
    return { kind, ms: performance.now() - started, ok: complete, expected: false, ...(complete ? {} : { why: `incomplete answer: ${text.slice(-200)}` }) };
  } catch (e) {
    const aborted = kind === 'abort' && ac.signal.aborted;
    return { kind, ms: performance.now() - started, ok: false, expected: aborted, ...(aborted ? {} : { why: String(e) }) };
  }
}

/** Least-squares slope of `ys` over `xs` (minutes): MB per minute. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0, den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return num / den;
}

async function soak(): Promise<number> {
  const say = (s: string) => process.stderr.write(`soak: ${s}\n`);
  const upstream = await startUpstream(200);
  const inspectPort = await freePort();
  const cloister = await startCloister(upstream.url, 'soak', { users: 2, databaseUrl: DATABASE, env: { ...LIMITS_ENV }, nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`] });
  let exitedEarly = false;
  cloister.child.once('exit', () => { exitedEarly = true; });
  const inspector = await connectInspector(inspectPort);
  const outcomes: Outcome[] = [];
  const samples: Array<{ at: number } & MemorySample> = [];
  const inFlight = new Set<Promise<void>>();
  let maxInFlight = 0;
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  say(`${SECONDS} s at ${RPS} requests/s against ${cloister.url} (warm-up ${WARMUP_SECONDS} s, a sample every ${SAMPLE_SECONDS} s)`);
  try {
    samples.push({ at: 0, ...(await inspector.sample()) });
    let sent = 0;
    let nextSample = SAMPLE_SECONDS;
    // A steady rate: each request leaves at its own scheduled instant, whether or not earlier ones finished.
    while (elapsed() < SECONDS && !exitedEarly) {
      const due = sent / RPS;
      if (elapsed() >= due) {
        const [kind, user] = MIX[sent % MIX.length]!;
        const at = elapsed();
        const p = send(cloister.url, cloister.keys[user]!, kind).then((o) => { outcomes.push({ ...o, at }); inFlight.delete(p); });
        inFlight.add(p);
        maxInFlight = Math.max(maxInFlight, inFlight.size);
        sent++;
        continue;
      }
      if (elapsed() >= nextSample) {
        const s = await inspector.sample();
        samples.push({ at: elapsed(), ...s });
        nextSample += SAMPLE_SECONDS;
        say(`${Math.round(elapsed())} s: rss ${round(s.rssMb, 1)} MB, heap ${round(s.heapUsedMb, 1)} MB, ${outcomes.length} answered, ${inFlight.size} in flight`);
        continue;
      }
      await new Promise((r) => setTimeout(r, Math.max(1, Math.min((due - elapsed()) * 1000, (nextSample - elapsed()) * 1000))));
    }
    await Promise.all(inFlight);
    samples.push({ at: elapsed(), ...(await inspector.sample()) });
  } finally {
    inspector.close();
  }
  const diedEarly = exitedEarly; // read before stop() ends it on purpose
  const logErrors = readFileSync(cloister.log, 'utf8').split('\n').filter((l) => /"level":"(error|fatal)"|"level":(50|60)\b/.test(l));
  await cloister.stop();
  upstream.stop();

  const after = samples.filter((s) => s.at >= WARMUP_SECONDS);
  const minutes = after.map((s) => s.at / 60);
  const rssSlope = slope(minutes, after.map((s) => s.rssMb));
  const heapSlope = slope(minutes, after.map((s) => s.heapUsedMb));
  const unexpected = outcomes.filter((o) => !o.ok && !o.expected);
  const expected = outcomes.filter((o) => o.expected);
  const latency: Record<string, { n: number; p50: number; p99: number }> = {};
  for (const kind of ['json', 'stream', 'long'] as const) {
    const ms = outcomes.filter((o) => o.kind === kind && o.ok && o.at >= WARMUP_SECONDS).map((o) => o.ms);
    latency[kind] = { n: ms.length, p50: round(pct(ms, 50), 1), p99: round(pct(ms, 99), 1) };
  }
  const allOk = outcomes.filter((o) => o.ok && o.at >= WARMUP_SECONDS).map((o) => o.ms);
  const report = {
    seconds: round(elapsed(), 1), rps: RPS, requests: outcomes.length, max_in_flight: maxInFlight, warmup_seconds: WARMUP_SECONDS,
    rss_mb: { start: round(samples[0]!.rssMb, 1), after_warmup: round(after[0]?.rssMb ?? NaN, 1), end: round(samples.at(-1)!.rssMb, 1), max: round(Math.max(...samples.map((s) => s.rssMb)), 1), slope_mb_per_min: round(rssSlope, 3) },
    heap_mb: { start: round(samples[0]!.heapUsedMb, 1), after_warmup: round(after[0]?.heapUsedMb ?? NaN, 1), end: round(samples.at(-1)!.heapUsedMb, 1), slope_mb_per_min: round(heapSlope, 3) },
    samples_after_warmup: after.length,
    errors: { expected_aborts: expected.length, unexpected: unexpected.length, server_error_log_lines: logErrors.length, server_exited_early: diedEarly },
    latency_ms: { all_p99: round(pct(allOk, 99), 1), ...latency },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  for (const u of unexpected.slice(0, 10)) say(`unexpected: ${u.kind} at ${round(u.at, 1)} s: ${u.why}`);
  for (const l of logErrors.slice(0, 10)) say(`server error line: ${l.slice(0, 400)}`);
  const missed: string[] = [];
  if (!(rssSlope < MAX_RSS_SLOPE)) missed.push(`RSS slope ${round(rssSlope, 3)} MB/min is not below ${MAX_RSS_SLOPE}`);
  if (unexpected.length + logErrors.length > 0 || diedEarly) missed.push(`${unexpected.length} unexpected errors, ${logErrors.length} error lines in the server log${diedEarly ? ', the server exited' : ''}`);
  say(missed.length === 0 ? 'target met' : `target missed: ${missed.join('; ')}`);
  return missed.length === 0 ? 0 : 1;
}

process.exitCode = await soak();
