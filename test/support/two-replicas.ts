// Two Cloister instances on one database and one fake upstream, sharing a frozen clock: the
// shape of a deployment with replicas, for tests of state that must hold across them.
import { resetDatabase } from './test-database.ts';
import { startTestApp, type TestApp } from './test-app.ts';
import { manualClock, type ManualClock } from './clock.ts';
import type { FakeUpstream } from './fake-upstream.ts';

export interface TwoReplicas {
  readonly a: TestApp;
  readonly b: TestApp;
  readonly clock: ManualClock;
  /** a user with an API key, created on `a` */
  readonly key: string;
  readonly userId: string;
  close(): Promise<void>;
}

/** Empties the database and the fake's records, then starts two replicas with `env` at time `at`. */
export async function startTwoReplicas(fake: FakeUpstream, env: Record<string, string>, at = '2026-03-10T12:00:00Z'): Promise<TwoReplicas> {
  await resetDatabase();
  fake.reset();
  const clock = manualClock(at);
  const full = { OPENAI_BASE_URL: `${fake.url}/v1`, ...env };
  const a = await startTestApp(full, { clock });
  const b = await startTestApp(full, { clock });
  const { key, userId } = await a.userWithKey();
  return { a, b, clock, key, userId, close: async () => { await a.close(); await b.close(); } };
}
