// Loaded by .mocharc.json: one shared, migrated database for the whole run; and a watchdog. The
// run must end by itself once every test has cleaned up (mocha runs without `exit: true`), so a
// test that leaks a server, socket or timer fails the run, naming what is still open.
import net from 'node:net';
import { setUpTestDatabase, tearDownTestDatabase } from './test-database.ts';
import { closeLeakedApps } from './test-app.ts';

const GRACE_MS = 10_000;

// Where each server of the run started listening: a server left open is named by its test.
const listenedAt = new WeakMap<net.Server, string>();
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
  listenedAt.set(this, (new Error().stack ?? '').split('\n').filter((l) => l.includes('/test/') && !l.includes('global-hooks')).slice(0, 3).map((l) => l.trim()).join(' <- '));
  return (listen as (...a: unknown[]) => net.Server).apply(this, args);
} as typeof net.Server.prototype.listen;

export async function mochaGlobalSetup(): Promise<void> {
  await setUpTestDatabase();
}

/** What keeps the process alive, in words (handles and their kinds). */
function openHandles(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.map((h) => {
    const name = (h as object)?.constructor?.name ?? typeof h;
    const s = h as { localPort?: number; remotePort?: number; _onTimeout?: { toString(): string }; address?: () => unknown };
    if (s._onTimeout) return `${name}: ${s._onTimeout.toString().slice(0, 160).replace(/\s+/g, ' ')}`;
    if (s.localPort !== undefined) return `${name}: ${s.localPort} -> ${s.remotePort ?? '-'}`;
    try {
      return `${name}: ${JSON.stringify(s.address?.())} listening since ${listenedAt.get(h as net.Server) ?? '?'}`;
    } catch {
      return name;
    }
  });
}

export async function mochaGlobalTeardown(): Promise<void> {
  const leaked = await closeLeakedApps();
  if (leaked.length > 0) {
    process.stderr.write(`\n${leaked.length} test app(s) were never closed, started at:\n${leaked.join('\n')}\n`);
    process.on('exit', () => { process.exitCode = 1; });
  }
  await tearDownTestDatabase();
  setTimeout(() => {
    process.stderr.write(`\nThe test run is still alive ${GRACE_MS / 1000} s after its last test: something was left open.\n${process.getActiveResourcesInfo().join(', ')}\n${openHandles().join('\n')}\n`);
    // After mocha's own exit listener, which would set the code to the number of failed tests.
    process.on('exit', () => { process.exitCode = 1; });
    process.exit(1);
  }, GRACE_MS).unref();
}
