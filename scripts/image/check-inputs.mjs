#!/usr/bin/env node
// Before anything is fetched: one Node version everywhere (package.json's `node` devDependency,
// .nvmrc, image/lock.json) and the tools that write the image's bytes at the versions the lock was
// made with (GNU tar writes every layer, mmdebstrap lays out the root filesystem, npm writes
// node_modules). Names every disagreement; exit 1 if any. (Tools that only read, such as
// dpkg-deb, are covered by the layer hashes the parts check.)
// CLOISTER_ALLOW_TOOL_DRIFT=1 turns tool differences into warnings (the digest may then differ).
// Usage: check-inputs.mjs SRC    (SRC: the commit's files)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The version each tool reports, or null when it is missing. */
const TOOLS = {
  tar: () => /\(GNU tar\) (\S+)/.exec(run('tar', ['--version']))?.[1],
  mmdebstrap: () => /^mmdebstrap (\S+)/.exec(run('mmdebstrap', ['--version']))?.[1],
  npm: () => run('npm', ['--version']).trim(),
};

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** Disagreements between the project's Node pins and the lock's. */
export function nodePinProblems({ packageJson, nvmrc, lock }) {
  const problems = [];
  const pinned = packageJson.devDependencies?.node;
  if (pinned !== lock.node.version) problems.push(`package.json pins node ${pinned}, image/lock.json has ${lock.node.version} (refresh the lock: scripts/refresh-image-lock.sh)`);
  if (nvmrc.trim() !== lock.node.version) problems.push(`.nvmrc says ${nvmrc.trim()}, image/lock.json has node ${lock.node.version}`);
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const src = process.argv[2];
  const read = (f) => readFileSync(join(src, f), 'utf8');
  const lock = JSON.parse(read('image/lock.json'));
  const problems = nodePinProblems({ packageJson: JSON.parse(read('package.json')), nvmrc: read('.nvmrc'), lock });
  const drift = [];
  for (const [tool, version] of Object.entries(TOOLS)) {
    const want = lock.tools[tool];
    const got = version() || 'missing';
    if (got !== want) drift.push(`${tool} ${got}, the lock was made with ${want}`);
  }
  for (const p of problems) console.error(`  ${p}`);
  const allowDrift = process.env.CLOISTER_ALLOW_TOOL_DRIFT === '1';
  for (const d of drift) console.error(`  ${allowDrift ? 'warning: ' : ''}${d}${allowDrift ? '' : ' (CLOISTER_ALLOW_TOOL_DRIFT=1 to build anyway)'}`);
  process.exitCode = problems.length || (drift.length && !allowDrift) ? 1 : 0;
}
