// `cloister <command>`: dispatches to the command modules. Exit codes: 0 ok, 1 failure,
// 2 bad arguments (with usage).
import { readProcessEnv, loadConfig, ConfigError } from './config.ts';
import { UsageError, type CliIo } from './cli/io.ts';
import { migrateCommand, usersCommand, keysCommand } from './cli/account-commands.ts';
import { probeUpstream } from './upstream/probe.ts';

const USAGE = `usage: cloister <command>

commands:
  serve                                   start the server
  migrate [up|down]                       apply all migrations, or revert the last one
  users create --email E [--admin]        create a user; prints its id
  users grant-admin --email E             make a user an admin
  users list [--query Q] [--json]         list users (email substring or id), with this month's usage
  users disable --email E                 disable a user: every session and API key revoked at once
  users enable --email E                  let a disabled user sign in again
  users set-tier --email E [--tier T] [--overrides JSON]
                                          set a user's tier and/or limit overrides ({} clears them)
  keys create --email E [--name N]        create an API key; prints it alone on the last line
  keys list --email E                     list a user's keys
  keys revoke --prefix P                  revoke a key by its prefix
  probe-upstream                          exit 0 if the upstream answers GET /models
  verify --report FILE|--url URL [...]    verify an attestation report (cloister verify --help)`;

const defaultIo = (): CliIo => ({
  env: readProcessEnv(),
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
});

/** Runs one CLI invocation and returns its exit code. */
export async function main(argv: string[], io: CliIo = defaultIo()): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'serve': {
        if (args.length > 0) throw new UsageError('usage: cloister serve');
        const { serve } = await import('./main.ts');
        await serve(loadConfig(io.env));
        return 0;
      }
      case 'migrate': return await migrateCommand(args, io);
      case 'users': return await usersCommand(args, io);
      case 'keys': return await keysCommand(args, io);
      case 'probe-upstream': {
        const r = await probeUpstream(loadConfig(io.env).upstream);
        (r.ok ? io.stdout : io.stderr)(`upstream ${r.ok ? 'ok' : 'unreachable'}: ${r.reason}`);
        return r.ok ? 0 : 1;
      }
      case 'verify': {
        const { runVerify } = await import('./cli/verify.ts');
        const { readFile } = await import('node:fs/promises');
        return await runVerify(args, {
          stdout: io.stdout, stderr: io.stderr,
          readFile: async (p: string) => new Uint8Array(p === '-' ? await readStdin() : await readFile(p)),
          fetch: globalThis.fetch, now: () => new Date(),
        });
      }
      case undefined: case 'help': case '--help': case '-h':
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.stderr(`cloister: ${e.message}`);
      return 1;
    }
    io.stderr(`cloister: ${describeFailure(e)}`);
    return 1;
  }
}

function describeFailure(e: unknown): string {
  const err = e as { code?: string; message?: string; name?: string };
  if (err.code === 'ECONNREFUSED') return 'cannot connect to the database (connection refused)';
  if (err.name === 'AppError' || err.name === 'DataDirInUse') return err.message ?? 'failed';
  return `${err.name ?? 'Error'}${err.code ? ` (${err.code})` : ''}: ${(err.message ?? '').split('\n')[0]}`;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
