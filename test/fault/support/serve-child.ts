// A real `cloister serve` child process in its own process group, for tests that kill it: it
// is started detached, its readiness read off its own "server.listening" log line, and it is
// stopped (or killed) by its group's id, never by name.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/cloister.js', import.meta.url));

export interface ServeChild {
  readonly child: ChildProcess;
  /** the URL it listens on, once ready */
  readonly url: string;
  /** how the process ended: its exit code, or the signal that ended it */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout(): string;
  stderr(): string;
  /** sends `signal` to the whole process group */
  signal(signal: NodeJS.Signals): void;
}

/** Starts `cloister serve` with `env` and resolves once it listens (bounded by `ms`). */
export async function startServeChild(env: Record<string, string>, ms = 60_000): Promise<ServeChild> {
  let out = '';
  let err = '';
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ATTESTATION_MODE: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { err += String(d); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const signal = (s: NodeJS.Signals) => { if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, s); };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { signal('SIGKILL'); reject(new Error(`serve did not start in ${ms} ms: ${err}`)); }, ms);
    const look = () => {
      const line = out.split('\n').find((l) => l.includes('"server.listening"'));
      if (line) { clearTimeout(timer); child.stdout!.off('data', look); resolve((JSON.parse(line) as { url: string }).url); }
    };
    child.stdout!.on('data', look);
    void exited.then(() => { clearTimeout(timer); reject(new Error(`serve exited before listening: ${err}`)); });
  });
  return { child, url, exited, stdout: () => out, stderr: () => err, signal };
}
