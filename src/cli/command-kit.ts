// What the database-backed commands share: the CLI's quieter config, services opened for one
// command and closed after it, and strict flag parsing (a bad flag is exit 2 with usage).
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig, type Config } from '../config.ts';
import { createServices, type Services } from '../app.ts';
import { UsageError, type CliIo } from './io.ts';

/** The configuration for one CLI command. */
export function cliConfig(io: CliIo): Config {
  const config = loadConfig(io.env);
  // Command output goes to stdout; logs stay on stderr and quiet unless LOG_LEVEL asks.
  return { ...config, log: { level: io.env.LOG_LEVEL ? config.log.level : 'warn' } };
}

/** Runs `fn` with the services open, closing them after. */
export async function withServices<T>(io: CliIo, fn: (s: Services) => Promise<T>): Promise<T> {
  const services = await createServices(cliConfig(io), { logDestination: pino.destination(2), processMetrics: false, databaseRole: 'cli' });
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

/** Parses `--name value` flags strictly. */
export function flags(args: string[], options: Record<string, { type: 'string' | 'boolean' }>) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A string flag that must be present and non-empty. */
export function required(v: string | boolean | undefined, name: string): string {
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}
