#!/usr/bin/env node
// Measures how long `cloister serve` takes from spawn to the first 200 on /healthz, with an
// empty DATA_DIR (first start: creates the embedded database) and again with it populated.
// Usage: node scripts/measure-cold-start.mjs [runs]   (run with Node 24: `npx node …`)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/cloister.js', import.meta.url));
const runs = Number(process.argv[2] ?? 3);
const port = 18_000 + Math.floor(Math.random() * 1000);

async function once(dataDir) {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'serve'], { env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: 'ignore' });
  try {
    for (;;) {
      if (performance.now() - started > 30_000) throw new Error('no /healthz within 30 s');
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.status === 200) return performance.now() - started;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const fresh = [];
const warm = [];
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'cloister-cold-'));
  try {
    fresh.push(await once(dir));
    warm.push(await once(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`node ${process.versions.node}, ${runs} runs`);
console.log(`spawn -> /healthz 200, empty DATA_DIR:     median ${median(fresh).toFixed(0)} ms (${fresh.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`spawn -> /healthz 200, existing DATA_DIR:  median ${median(warm).toFixed(0)} ms (${warm.map((x) => x.toFixed(0)).join(', ')})`);
