#!/usr/bin/env node
// The Debian packages a root-filesystem build fetched, against the ones image/lock.json names.
// Usage: packages.mjs json FETCHED.txt          the list as the lock stores it (stdout)
//        packages.mjs compare FETCHED.txt LOCK  exit 1 naming every package that moved
// FETCHED.txt has one "name version architecture sha256" line per .deb (root-filesystem.sh's hook).
import { readFileSync } from 'node:fs';

/** Parses the hook's list into lock entries, sorted by name. */
export function parseFetched(text) {
  return text.split('\n').filter(Boolean).map((line) => {
    const [name, version, architecture, sha256] = line.trim().split(/\s+/);
    if (!name || !version || !architecture || !/^[0-9a-f]{64}$/.test(sha256 ?? '')) throw new Error(`unreadable package line: ${line}`);
    return { name, version, architecture, sha256 };
  }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every difference between the locked packages and the fetched ones, in words. */
export function packageChanges(locked, fetched) {
  const byName = (list) => new Map(list.map((p) => [p.name, p]));
  const want = byName(locked);
  const got = byName(fetched);
  const changes = [];
  for (const [name, w] of want) {
    const g = got.get(name);
    if (!g) changes.push(`${name} ${w.version}: locked but not fetched`);
    else if (g.version !== w.version) changes.push(`${name}: locked ${w.version}, the archive gave ${g.version}`);
    else if (g.architecture !== w.architecture) changes.push(`${name} ${w.version}: locked ${w.architecture}, fetched ${g.architecture}`);
    else if (g.sha256 !== w.sha256) changes.push(`${name} ${w.version}: the .deb's sha256 is ${g.sha256}, the lock has ${w.sha256}`);
  }
  for (const [name, g] of got) if (!want.has(name)) changes.push(`${name} ${g.version}: fetched but not in the lock (a new dependency)`);
  return changes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, fetchedFile, lockFile] = process.argv.slice(2);
  const fetched = parseFetched(readFileSync(fetchedFile, 'utf8'));
  if (command === 'json') {
    console.log(JSON.stringify(fetched, null, 2));
  } else if (command === 'compare') {
    const changes = packageChanges(JSON.parse(readFileSync(lockFile, 'utf8')).debian.packages, fetched);
    for (const c of changes) console.error(`  ${c}`);
    process.exitCode = changes.length ? 1 : 0;
  } else {
    console.error('usage: packages.mjs json FETCHED.txt | packages.mjs compare FETCHED.txt LOCK');
    process.exitCode = 2;
  }
}
