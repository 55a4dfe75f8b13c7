// `cloister serve` as a real child process: zero-config start on embedded Postgres, the CLI
// joining that database from another process, SIGTERM -> exit 0, and a fast, one-line failure
// when the database is unreachable.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../../src/cli.ts';

const BIN = fileURLToPath(new URL('../../../bin/cloister.js', import.meta.url));

function startServe(env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { err += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitForListening(p: ReturnType<typeof startServe>, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const line = p.stdout().split('\n').find((l) => l.includes('"server.listening"'));
    if (line) return (JSON.parse(line) as { url: string }).url;
    if (p.child.exitCode !== null) throw new Error(`serve exited: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('serve did not start in time');
}

describe('cloister serve (child process)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cloister-serve-')); });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts with no configuration, lets the CLI join its embedded database, and exits 0 on SIGTERM', async () => {
    const p = startServe({ PORT: '0', DATA_DIR: dir });
    try {
      const url = await waitForListening(p, 20_000);
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${url}/readyz`)).status).to.equal(200);

      const out: string[] = [];
      const code = await main(['users', 'create', '--email', 'joined@example.com'], { env: { DATA_DIR: dir }, stdout: (l) => out.push(l), stderr: () => {} });
      expect(code).to.equal(0);
      const keyOut: string[] = [];
      expect(await main(['keys', 'create', '--email', 'joined@example.com'], { env: { DATA_DIR: dir }, stdout: (l) => keyOut.push(l), stderr: () => {} })).to.equal(0);
      const me = await fetch(`${url}/v1/users/me`, { headers: { authorization: `Bearer ${keyOut.at(-1)}` } });
      expect(me.status, 'the server sees the user the CLI created').to.equal(200);

      p.child.kill('SIGTERM');
      expect(await p.exited).to.equal(0);
      expect(p.stdout()).to.contain('"server.stopped"');
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('exits non-zero within 10 s with a one-line reason when the database is unreachable', async () => {
    const started = Date.now();
    const p = startServe({ PORT: '0', DATA_DIR: dir, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x' });
    const code = await p.exited;
    expect(code).to.not.equal(0);
    expect(Date.now() - started).to.be.lessThan(10_000);
    const lines = p.stderr().trim().split('\n').filter((l) => !l.includes('ExperimentalWarning'));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^cloister: .*database/);
  });

  it('exits 1 listing every configuration problem', async () => {
    const p = startServe({ PORT: 'x', LOG_LEVEL: 'chatty', DATA_DIR: dir });
    expect(await p.exited).to.equal(1);
    expect(p.stderr()).to.contain('PORT').and.contain('LOG_LEVEL');
  });
});
