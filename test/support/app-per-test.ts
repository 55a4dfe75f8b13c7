// The suite shape of tests that start Cloister with different settings: one fake upstream for
// the suite, and an app per test, started by the test (`start(env)`) on a fresh database, with
// what the start itself sent upstream (the model list) forgotten. Both are closed by the hooks.
import { startTestApp, type TestApp } from './test-app.ts';
import { resetDatabase } from './test-database.ts';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';

export interface AppPerTest {
  readonly fake: FakeUpstream;
  /** the app the running test started */
  readonly t: TestApp;
  start(env: Record<string, string>): Promise<TestApp>;
}

/** Registers the hooks (call inside a describe) and returns the suite's handles. */
export function appPerTest(): AppPerTest {
  let fake: FakeUpstream | undefined;
  let t: TestApp | undefined;
  before(async () => { fake = await startFakeUpstream(); });
  after(async () => { await fake?.close(); });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  return {
    get fake() { return fake!; },
    get t() { return t!; },
    async start(env) {
      await resetDatabase();
      fake!.reset();
      t = await startTestApp({ OPENAI_BASE_URL: `${fake!.url}/v1`, ...env });
      fake!.reset();
      return t;
    },
  };
}
