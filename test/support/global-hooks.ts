// Loaded by .mocharc.json: one shared, migrated database for the whole run.
import { setUpTestDatabase, tearDownTestDatabase } from './test-database.ts';

export async function mochaGlobalSetup(): Promise<void> {
  await setUpTestDatabase();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await tearDownTestDatabase();
}
