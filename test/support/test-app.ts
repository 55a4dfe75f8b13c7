// Builds a real Cloister app for a test: same createApp as production, with the shared test
// database, a manual clock, captured logs, and a real listening server on port 0.
import pg from 'pg';
import { loadConfig, type Env } from '../../src/config.ts';
import { createApp, type CloisterApp, type AppOverrides } from '../../src/app.ts';
import { listen, type RunningServer } from '../../src/http/server.ts';
import { EMBEDDED_POOL_MAX } from '../../src/db/database.ts';
import { testDatabase } from './test-database.ts';
import { manualClock, type ManualClock } from './clock.ts';
import { captureLogs, type LogCapture } from './log-capture.ts';

export interface TestApp {
  readonly app: CloisterApp;
  readonly url: string;
  readonly clock: ManualClock;
  readonly logs: LogCapture;
  readonly server: RunningServer;
  /** creates a user and an API key; returns both */
  userWithKey(email?: string): Promise<{ userId: string; key: string; email: string }>;
  /** fetch against this app, with an optional bearer key */
  request(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  close(): Promise<void>;
}

let counter = 0;

/** Apps started and not closed yet, with where they were started (the teardown names leaks). */
const open = new Map<TestApp, string>();

/** Closes the apps a test forgot, and says where they were started. */
export async function closeLeakedApps(): Promise<string[]> {
  const leaked = [...open.values()];
  for (const app of [...open.keys()]) await app.close().catch(() => {});
  return leaked;
}

/** Starts an app on the shared test database. `env` adds/overrides variables. */
export async function startTestApp(env: Env = {}, overrides: AppOverrides & { clock?: ManualClock } = {}): Promise<TestApp> {
  const db = testDatabase();
  const clock = overrides.clock ?? manualClock();
  const logs = captureLogs();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    DATA_DIR: `/tmp/cloister-test-data-${process.pid}`,
    SESSION_SECRET: 'test-session-secret-that-is-at-least-32-bytes-long',
    ATTESTATION_MODE: 'off',
    ...env,
  });
  const pool = new pg.Pool({ connectionString: db.url, max: db.kind === 'embedded' ? EMBEDDED_POOL_MAX : 10 });
  // An idle connection the server ends (a restart, the run's final drop) is not a test failure.
  pool.on('error', () => {});
  const app = await createApp(config, {
    clock,
    logDestination: logs.stream,
    processMetrics: false,
    database: { pool, url: db.url, embedded: db.kind === 'embedded', close: () => pool.end() },
    ...overrides,
  });
  // Cloister fetches upstream's model list once at start: let that happen before the test acts,
  // so what a test sees reach upstream is only what it caused.
  await app.models.firstLoad;
  const server = await listen(app.callback(), { host: '127.0.0.1', port: 0, limits: config.server.connections });
  const url = `http://127.0.0.1:${server.port}`;
  const startedAt = (new Error().stack ?? '').split('\n').slice(2).find((l) => l.includes('.test.ts'))?.trim() ?? 'unknown';
  let closed = false;
  const t: TestApp = {
    app, url, clock, logs, server,
    async userWithKey(email) {
      const e = email ?? `user${++counter}-${Date.now()}@example.com`;
      const user = await app.services.users.createUser({ email: e, emailVerified: true });
      const { key } = await app.services.apiKeys.create(user.id, 'test');
      return { userId: user.id, key, email: e };
    },
    request(path, init = {}) {
      const { key, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key) headers.set('authorization', `Bearer ${key}`);
      return fetch(url + path, { ...rest, headers });
    },
    async close() {
      if (closed) return;
      closed = true;
      open.delete(t);
      await server.shutdown(1000);
      await app.close();
    },
  };
  open.set(t, startedAt);
  return t;
}
