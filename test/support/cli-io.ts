// A CliIo for tests: the shared test database, captured stdout and stderr lines.
import type { CliIo } from '../../src/cli/io.ts';
import { testDatabase } from './test-database.ts';

/** An io whose output lines are collected in `out` and `err`. */
export function cliIo(extra: Record<string, string> = {}): { value: CliIo; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    env: { NODE_ENV: 'test', DATABASE_URL: testDatabase().url, ...extra },
    stdout: (l) => out.push(...l.split('\n')),
    stderr: (l) => err.push(...l.split('\n')),
  };
  return { value, out, err };
}
