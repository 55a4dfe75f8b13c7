// The canonical image's inputs and assembly: image/lock.json is whole and agrees with the
// project's one Node version; a moved Debian package is named; the OCI assembler writes the same
// bytes from the same layers, with each layer's digest the sha256 of its uncompressed tar.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error -- plain .mjs scripts without type declarations
import { packageChanges, parseFetched } from '../../../scripts/image/packages.mjs';
// @ts-expect-error -- plain .mjs scripts without type declarations
import { nodePinProblems } from '../../../scripts/image/check-inputs.mjs';
// @ts-expect-error -- plain .mjs scripts without type declarations
import { imageConfig } from '../../../scripts/image/assemble-oci.mjs';

interface Pkg { name: string; version: string; architecture: string; sha256: string }
const read = (f: string) => readFileSync(new URL(`../../../${f}`, import.meta.url), 'utf8');
const lock = JSON.parse(read('image/lock.json'));
const packageJson = JSON.parse(read('package.json'));
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('image/lock.json', () => {
  it('pins the one Node version package.json and .nvmrc name', () => {
    expect(nodePinProblems({ packageJson, nvmrc: read('.nvmrc'), lock })).to.deep.equal([]);
    expect(lock.node.version).to.equal(packageJson.devDependencies.node);
    expect(read('.nvmrc').trim()).to.equal(lock.node.version);
    expect(Number(lock.node.version.split('.')[0])).to.equal(24); // engines: >=24.11 <25
    expect(lock.node.integrity).to.match(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(lock.node.binary_sha256).to.match(/^[0-9a-f]{64}$/);
    expect(lock.node.layer_sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it('names every Debian package by version and .deb hash, the included ones among them', () => {
    const names = (lock.debian.packages as Pkg[]).map((p) => p.name);
    expect(names).to.deep.equal([...names].sort());
    for (const p of lock.debian.packages as Pkg[]) {
      expect(p.version, p.name).to.be.a('string').and.not.equal('');
      expect(p.architecture, p.name).to.be.oneOf(['amd64', 'all']);
      expect(p.sha256, p.name).to.match(/^[0-9a-f]{64}$/);
    }
    for (const i of lock.debian.include as string[]) expect(names).to.include(i);
    expect(lock.debian.rootfs_sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it('dates the snapshot at the epoch every base-layer file carries', () => {
    const at = new Date(lock.epoch * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    expect(lock.debian.snapshot).to.equal(at);
  });

  it('records the tools that write the layers', () => {
    for (const t of ['tar', 'mmdebstrap', 'npm']) expect(lock.tools[t], t).to.match(/^\d+\.\d+/);
    expect(lock.tools.npm_integrity).to.match(/^sha512-/);
  });

  it('fails a different Node pin, naming both versions', () => {
    const problems = nodePinProblems({ packageJson: { devDependencies: { node: '24.99.0' } }, nvmrc: '24\n', lock }) as string[];
    expect(problems.join('\n')).to.contain('24.99.0').and.contain(lock.node.version).and.contain('.nvmrc says 24');
  });
});

describe('root filesystem packages against the lock', () => {
  const locked: Pkg[] = [
    { name: 'libc6', version: '2.36-9+deb12u14', architecture: 'amd64', sha256: 'a'.repeat(64) },
    { name: 'tzdata', version: '2026f-0+deb12u1', architecture: 'all', sha256: 'b'.repeat(64) },
  ];
  const fetched = (lines: string[]) => parseFetched(lines.join('\n')) as Pkg[];

  it('finds nothing when the archive gave exactly the locked .debs', () => {
    expect(packageChanges(locked, fetched([`tzdata 2026f-0+deb12u1 all ${'b'.repeat(64)}`, `libc6 2.36-9+deb12u14 amd64 ${'a'.repeat(64)}`]))).to.deep.equal([]);
  });

  it('names a superseded package, a new dependency and a .deb whose bytes changed', () => {
    const changes = packageChanges(locked, fetched([
      `libc6 2.36-9+deb12u15 amd64 ${'a'.repeat(64)}`,
      `tzdata 2026f-0+deb12u1 all ${'c'.repeat(64)}`,
      `debconf 1.5.82 all ${'d'.repeat(64)}`,
    ])) as string[];
    expect(changes).to.deep.equal([
      'libc6: locked 2.36-9+deb12u14, the archive gave 2.36-9+deb12u15',
      `tzdata 2026f-0+deb12u1: the .deb's sha256 is ${'c'.repeat(64)}, the lock has ${'b'.repeat(64)}`,
      'debconf 1.5.82: fetched but not in the lock (a new dependency)',
    ]);
  });

  it('refuses an unreadable line rather than guessing', () => {
    expect(() => parseFetched('libc6 2.36 amd64 nothex')).to.throw(/unreadable/);
  });
});

describe('OCI assembly', () => {
  const assemble = (dir: string, layers: string[]) => execFileSync(process.execPath, [
    'scripts/image/assemble-oci.mjs', '--out', join(dir, 'oci'), '--epoch', '1796304689', '--commit', 'c'.repeat(40),
    '--version', '0.1.0', '--source', 'https://example.test/cloister', '--ref', 'cloister',
    ...layers.flatMap((l, i) => ['--layer', `${l}=layer ${i}`]),
  ], { cwd: new URL('../../../', import.meta.url), encoding: 'utf8' }).trim();
  const makeLayers = (dir: string) => ['one', 'two'].map((name) => {
    const file = join(dir, `${name}.tar`);
    writeFileSync(file, `pretend tar ${name}`);
    return file;
  });

  it('gives the same manifest digest for the same layers, whatever their file names', () => {
    const a = mkdtempSync(join(tmpdir(), 'oci-a-'));
    const b = mkdtempSync(join(tmpdir(), 'oci-b-'));
    try {
      const digestA = assemble(a, makeLayers(a));
      const digestB = assemble(b, makeLayers(b));
      expect(digestA).to.match(/^sha256:[0-9a-f]{64}$/).and.equal(digestB);
      const blob = (d: string) => readFileSync(join(a, 'oci', 'blobs', 'sha256', d.slice(7)));
      expect(sha256(blob(digestA))).to.equal(digestA.slice(7));
      const index = JSON.parse(readFileSync(join(a, 'oci', 'index.json'), 'utf8'));
      expect(index.manifests[0].digest).to.equal(digestA);
      expect(index.manifests[0].annotations['org.opencontainers.image.ref.name']).to.equal('cloister');
      const manifest = JSON.parse(blob(digestA).toString());
      expect(manifest.layers.map((l: { digest: string }) => l.digest)).to.deep.equal(['one', 'two'].map((n) => `sha256:${sha256(`pretend tar ${n}`)}`));
      expect(manifest.layers[0].mediaType).to.equal('application/vnd.oci.image.layer.v1.tar');
      const config = JSON.parse(blob(manifest.config.digest).toString());
      expect(config.rootfs.diff_ids).to.deep.equal(manifest.layers.map((l: { digest: string }) => l.digest));
      expect(blob(manifest.config.digest).toString()).to.not.contain(a).and.not.contain('.tar');
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('runs `cloister serve` as uid 1000 in production mode with a writable DATA_DIR and a health check', () => {
    const config = imageConfig({ epoch: '1796304689', commit: 'c'.repeat(40), version: '0.1.0', source: 'https://example.test/x', diffIds: [], descriptions: [] });
    expect(config.created).to.equal('2026-12-03T13:31:29Z');
    expect(config.config.User).to.equal('1000:1000');
    expect(config.config.Entrypoint).to.deep.equal(['/usr/local/bin/node', '/app/bin/cloister.js']);
    expect(config.config.Cmd).to.deep.equal(['serve']);
    expect(config.config.Env).to.include.members(['NODE_ENV=production', 'DATA_DIR=/var/lib/cloister', 'HOST=0.0.0.0', 'PORT=8080']);
    expect(config.config.Volumes).to.deep.equal({ '/var/lib/cloister': {} });
    expect(config.config.Healthcheck.Test.join(' ')).to.contain('/healthz');
    expect(config.config.Labels['org.opencontainers.image.revision']).to.equal('c'.repeat(40));
  });
});
