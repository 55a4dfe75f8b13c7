#!/usr/bin/env node
// `npm run build`: compile the server into dist/ (tsc, tsconfig.build.json) and the web app into
// dist/web (Vite). Deterministic: no timestamps, hashed asset names. Type errors fail the build
// (`npm run typecheck` is the full check, tests included).
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (label, args) => {
  const started = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${label} failed`);
    process.exit(r.status ?? 1);
  }
  console.log(`build: ${label} done in ${Math.round(performance.now() - started)} ms`);
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
run('server (tsc)', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
copyServerAssets();
buildWeb();

/** Non-TypeScript files the server reads at run time (e.g. the /login page), next to their modules. */
function copyServerAssets() {
  cpSync(new URL('../src', import.meta.url), new URL('../dist/src', import.meta.url), {
    recursive: true,
    filter: (from) => !from.includes('/src/web') && !from.endsWith('.ts'),
  });
}

/** The web app, bundled by Vite into dist/web (served by src/http/static-web.ts). */
function buildWeb() {
  run('web app (vite)', ['node_modules/vite/bin/vite.js', 'build', '--config', 'src/web/vite.config.ts', '--logLevel', 'warn']);
}
