// Finding 21.2: `cloister users create` started while `npm start` was still starting opened the
// same PGlite directory twice: the server died with `RuntimeError: Aborted()`, or a write of one
// process was missing in the other. Nothing locked DATA_DIR, and two servers could share one.
// Now one process holds DATA_DIR's lock; the others join it, wait for it, or (a second server)
// exit with a one-line reason. Real processes, real files, many interleavings.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/cloister.js', import.meta.url));

interface Proc {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  readonly exited: Promise<number | null>;
}

/** Runs `cloister <args>` in its own process group. */
function cloister(args: string[], env: Record<string, string>): Proc {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { err += String(d); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { child, out: () => out, err: () => err, exited };
}

/** Ends a process group (it may have ended already). */
function kill(p: Proc, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.child.pid!, signal);
  } catch { /* already gone */ }
}

/** The URL a server listens on, from its listening line; throws if it exits first. */
async function listening(p: Proc, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = p.out().split('\n').find((l) => l.includes('"server.listening"'));
    if (line) return (JSON.parse(line) as { url: string }).url;
    if (p.child.exitCode !== null) throw new Error(`serve exited ${p.child.exitCode}: ${p.err()}`);
    if (Date.now() > deadline) throw new Error('serve did not start in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DATA_DIR lock: the embedded database under concurrent processes', function () {
  this.timeout(240_000);
  let dir: string;
  const running: Proc[] = [];
  const env = () => ({ PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'info' });
  const serve = () => {
    const p = cloister(['serve'], env());
    running.push(p);
    return p;
  };
  const stop = async (p: Proc) => {
    kill(p, 'SIGTERM');
    expect(await p.exited, p.err()).to.equal(0);
  };

  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cloister-lock-')); });
  afterEach(async () => {
    for (const p of running.splice(0)) kill(p, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('starts a server and a CLI command at varied offsets: no crash, no lost write, all data there after a restart', async () => {
    const emails: string[] = [];
    // Negative: the command starts first; positive: the server does.
    for (const [i, offset] of [-300, 0, 40, 150, 400, 900, 1600].entries()) {
      const email = `user${i}@example.com`;
      emails.push(email);
      let server: Proc;
      let cli: Proc;
      if (offset < 0) {
        cli = cloister(['users', 'create', '--email', email], env());
        await delay(-offset);
        server = serve();
      } else {
        server = serve();
        await delay(offset);
        cli = cloister(['users', 'create', '--email', email], env());
      }
      expect(await cli.exited, `offset ${offset}: ${cli.err()}`).to.equal(0);
      const url = await listening(server);
      // The server sees what the command wrote, and a key the next command creates works at once.
      const key = cloister(['keys', 'create', '--email', email], env());
      expect(await key.exited, key.err()).to.equal(0);
      const me = await fetch(`${url}/v1/users/me`, { headers: { authorization: `Bearer ${key.out().trim().split('\n').at(-1)}` } });
      expect(me.status, `offset ${offset}`).to.equal(200);
      expect((await me.json()).email).to.equal(email);
      expect(server.err(), `offset ${offset}`).not.to.match(/Aborted|RuntimeError/);
      await stop(server);
    }
    // After a restart, with no server: every write is there.
    const list = cloister(['users', 'list'], env());
    expect(await list.exited, list.err()).to.equal(0);
    for (const email of emails) expect(list.out()).to.contain(email);
  });

  it('runs two commands at once without a server: the second waits for the first, both writes kept', async () => {
    const a = cloister(['users', 'create', '--email', 'a@example.com'], env());
    const b = cloister(['users', 'create', '--email', 'b@example.com'], env());
    expect([await a.exited, await b.exited], a.err() + b.err()).to.deep.equal([0, 0]);
    const list = cloister(['users', 'list'], env());
    expect(await list.exited).to.equal(0);
    expect(list.out()).to.contain('a@example.com').and.contain('b@example.com');
  });

  it('makes a second server on the same DATA_DIR exit non-zero with a one-line reason, while the first keeps serving', async () => {
    const first = serve();
    const url = await listening(first);
    const second = serve();
    expect(await second.exited).to.equal(1);
    const lines = second.err().trim().split('\n').filter((l) => l.startsWith('cloister: '));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/in use by another Cloister server \(pid \d+\)/);
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
    await stop(first);
  });

  it('takes over safely from a server killed with SIGKILL, with its data intact', async () => {
    const first = serve();
    await listening(first);
    const made = cloister(['users', 'create', '--email', 'kept@example.com'], env());
    expect(await made.exited).to.equal(0);
    kill(first, 'SIGKILL');
    await first.exited;
    const second = serve();
    const url = await listening(second);
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
    const list = cloister(['users', 'list'], env());
    expect(await list.exited, list.err()).to.equal(0);
    expect(list.out()).to.contain('kept@example.com');
    await stop(second);
  });
});
