// Compares this checkout's Cloister with another checkout's on the bench's throughput run:
//   npm run bench:compare -- /path/to/other/checkout
// Both servers run side by side (same upstream, same machine, one CPU), with the bare proxy
// as the yardstick, in interleaved one-second turns; each round reports both against bare and
// the other's CPU per request against this one's. Made for judging one change: on a noisy
// two-core VM the whole bench moves by more than most changes do, while a paired run keeps
// both sides under the same noise. Compare a checkout with itself first: the two sides are
// not perfectly symmetric (the second of two identical servers measured ~3% cheaper here), so
// a difference smaller than that is no difference. The other checkout needs its own
// node_modules (a symlink to this one's will do). BENCH_SLICES turns per round (default 10),
// BENCH_ROUNDS rounds (default 3) per pair of processes, BENCH_PAIRS pairs (default 1): one
// process of a build ran up to 8% faster or slower than another of the same build, steadily for
// its whole life, so a small difference needs several pairs. Real Postgres when
// TEST_DATABASE_URL is set; BENCH_LIMITS=1 configures both with the (never refusing) limits of
// `npm run bench`'s limited run, so every request pays the limit checks.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LIMITS_ENV, pinLoadGenerator, startCloister, startHelper, startUpstream } from './processes.ts';
import { BODY, interleavedThroughput, median, round, spread, show, type ThroughputTarget } from './measure.ts';

const other = process.argv[2];
if (!other || !existsSync(resolve(other, 'bin/cloister.js'))) {
  console.error('usage: npm run bench:compare -- <path to another Cloister checkout>');
  process.exit(2);
}
const SLICES = Math.max(1, Number(process.env.BENCH_SLICES ?? 10));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const PAIRS = Math.max(1, Number(process.env.BENCH_PAIRS ?? 1));
const env = process.env.BENCH_LIMITS === '1' ? LIMITS_ENV : {};

pinLoadGenerator();
const upstream = await startUpstream(1);
const bare = await startHelper('./bare-proxy.ts', [upstream.url], 'proxy');
const rows: Array<Record<string, number>> = [];
try {
  for (let pair = 1; pair <= PAIRS; pair++) {
    // A new pair of processes each time, started in alternating order: one process of a build can
    // run several percent faster or slower than another of the same build for its whole life.
    const start = (side: 'here' | 'other') => startCloister(upstream.url, `${side}${pair}`, { users: 1, env, ...(side === 'other' ? { bin: resolve(other, 'bin/cloister.js') } : {}) });
    const first = await start(pair % 2 === 1 ? 'here' : 'other');
    const second = await start(pair % 2 === 1 ? 'other' : 'here');
    const [here, there] = pair % 2 === 1 ? [first, second] : [second, first];
    try {
      const targets: ThroughputTarget[] = [
        { name: 'bare', url: bare.url, headers: {}, pid: bare.child.pid! },
        { name: 'here', url: here.url, headers: { authorization: `Bearer ${here.key}` }, pid: here.child.pid! },
        { name: 'other', url: there.url, headers: { authorization: `Bearer ${there.key}` }, pid: there.child.pid! },
      ];
      await interleavedThroughput(targets, upstream.child.pid!, BODY, 1, 2); // warm-up
      for (let r = 1; r <= ROUNDS; r++) {
        process.stderr.write(`compare: pair ${pair}/${PAIRS}, round ${r}/${ROUNDS} (${SLICES} turns of 1 s each)\n`);
        const t = await interleavedThroughput(targets, upstream.child.pid!, BODY, SLICES, 1);
        rows.push({
          pair,
          'bare req/s': Math.round(t.bare!.rps),
          'here ÷ bare': round(t.here!.rps / t.bare!.rps),
          'other ÷ bare': round(t.other!.rps / t.bare!.rps),
          'here CPU µs/req': t.here!.proxy_cpu_us_per_request,
          'other CPU µs/req': t.other!.proxy_cpu_us_per_request,
          'other CPU ÷ here': round(t.other!.proxy_cpu_us_per_request / t.here!.proxy_cpu_us_per_request),
        });
      }
    } finally {
      await here.stop();
      await there.stop();
    }
  }
  console.table(rows);
  const col = (k: string, of = rows) => of.map((x) => x[k]!);
  console.log(`median of ${rows.length} rounds (${PAIRS} pairs of processes): here ${show(spread(col('here ÷ bare')))} × bare, other ${show(spread(col('other ÷ bare')))} × bare; other's CPU per request ${median(col('other CPU ÷ here'))} × here's`);
  if (PAIRS > 1) {
    // The first-started process of a pair has run up to ~10% slower than its partner: the
    // median of each start order, and their geometric mean, which cancels that.
    const hereFirst = col('other CPU ÷ here', rows.filter((x) => x.pair! % 2 === 1));
    const otherFirst = col('other CPU ÷ here', rows.filter((x) => x.pair! % 2 === 0));
    const balanced = round(Math.sqrt(median(hereFirst) * median(otherFirst)));
    console.log(`other's CPU per request ÷ here's: ${round(median(hereFirst))} when here started first, ${round(median(otherFirst))} when other did; balanced ${balanced}`);
  }
} finally {
  bare.child.disconnect();
  upstream.stop();
}
