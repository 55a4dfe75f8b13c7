// Times verifyReport on one report offline (no network): the nearai sample (real Intel quote,
// event log, app-compose) with the dcap-qvl collateral shape, so every check including the
// chain and signatures runs. Prints the median of N runs (target: <= 50 ms).
// Usage: node scripts/bench/verify.ts [N]   (N defaults to 50)
import { readFileSync } from 'node:fs';
import { verifyReport } from '../../src/verify/verify-report.ts';
import { bytesToHex } from '../../src/tdx/bytes.ts';

const FIX = new URL('../../../shared/fixtures/attestation/', import.meta.url);
const json = (name: string): Record<string, never> => JSON.parse(readFileSync(new URL(name, FIX), 'utf8'));
const runs = Number(process.argv[2] ?? 50);

const sample = json('nearai-dstack-sample.json') as unknown as { get_quote: { quote: string; event_log: string }; info: Record<string, unknown> };
const report = { gateway_attestation: { signing_address: '01'.repeat(32), signing_algo: 'ed25519', intel_quote: sample.get_quote.quote, event_log: sample.get_quote.event_log, info: sample.info, simulated: false } };
const opts = { nonce: '01'.repeat(32), at: new Date('2026-06-01T00:00:00Z') };

// The dcap-qvl quote with its collateral exercises quote.tcb (CRLs, signed TCB info, QE identity).
const dcapReport = { gateway_attestation: { signing_address: '0x' + '00'.repeat(20), signing_algo: 'ecdsa', intel_quote: bytesToHex(new Uint8Array(readFileSync(new URL('dcap-qvl-tdx-quote.bin', FIX)))) } };
const dcapOpts = { collateral: json('dcap-qvl-tdx-quote-collateral.json') as never, at: new Date('2025-07-01T00:00:00Z') };

async function median(label: string, fn: () => Promise<unknown>): Promise<void> {
  await fn(); // warm-up: module init and curve precomputation happen once per process
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const med = times[Math.floor(times.length / 2)] as number;
  console.log(`${label}: median ${med.toFixed(1)} ms over ${runs} runs (min ${(times[0] as number).toFixed(1)}, max ${(times.at(-1) as number).toFixed(1)})`);
}

await median('verify nearai report (no collateral)', () => verifyReport(report, opts));
await median('verify dcap-qvl quote with collateral', () => verifyReport(dcapReport, dcapOpts));
const t = performance.now();
await verifyReport(report, opts);
console.log(`(a further single run: ${(performance.now() - t).toFixed(1)} ms)`);
