// Lints Dockerfile.reproducible for what reproducibility and safety need: every input pinned
// by digest, dependencies only from the lock file, no unpinned downloads, SOURCE_DATE_EPOCH
// used, and a non-root runtime with a health check.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';

const text = readFileSync(new URL('../../../Dockerfile.reproducible', import.meta.url), 'utf8');
const lines = text.split('\n');
const args = new Map([...text.matchAll(/^ARG (\w+)=(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
const resolve = (ref: string) => ref.replace(/^\$\{(\w+)\}$/, (_m, name: string) => args.get(name) ?? ref);

describe('Dockerfile.reproducible', () => {
  it('pins the syntax frontend by digest on its first line', () => {
    expect(lines[0]).to.match(/^# syntax=docker\/dockerfile:[\w.]+@sha256:[0-9a-f]{64}$/);
  });

  it('pins every FROM by digest and never uses :latest', () => {
    const froms = lines.filter((l) => /^FROM /i.test(l));
    expect(froms.length).to.be.greaterThan(1);
    for (const f of froms) expect(resolve(f.split(/\s+/)[1]!), f).to.match(/@sha256:[0-9a-f]{64}$/);
    expect(text).to.not.match(/:latest\b/);
  });

  it('installs dependencies only from the lock file, with install scripts off', () => {
    expect(text).to.not.match(/npm (install|i) /);
    const ci = lines.filter((l) => /npm ci/.test(l));
    expect(ci.length).to.be.greaterThan(0);
    for (const l of ci) expect(l).to.contain('--ignore-scripts');
  });

  it('downloads nothing unpinned', () => {
    expect(text).to.not.match(/\b(curl|wget)\b/);
    expect(text).to.not.match(/^ADD\s+https?:/m);
    expect(text).to.not.match(/apt-get/);
  });

  it('uses SOURCE_DATE_EPOCH, runs as a non-root user, checks health, and runs `cloister serve`', () => {
    expect(text).to.match(/ARG SOURCE_DATE_EPOCH/);
    expect(text).to.match(/^USER (?!root)\w+/m);
    expect(text).to.match(/^HEALTHCHECK .*|^HEALTHCHECK/m);
    expect(text).to.contain('/healthz');
    expect(text).to.match(/ENTRYPOINT \["node", "\/app\/bin\/cloister.js"\]\s*\nCMD \["serve"\]/);
  });

  it('pins the compose file\'s Postgres image by digest', () => {
    const compose = readFileSync(new URL('../../../docker-compose.yml', import.meta.url), 'utf8');
    for (const m of compose.matchAll(/image:\s*(\S+)/g)) expect(m[1]).to.match(/@sha256:[0-9a-f]{64}$/);
  });
});
