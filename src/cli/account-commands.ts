// `cloister migrate|users|keys`: database-backed commands. They work against DATABASE_URL or,
// when it is unset, the embedded database — joining a running server's if there is one.
import { pino } from 'pino';
import { runMigrations } from '../db/migrate.ts';
import { openDatabase } from '../db/database.ts';
import { createLogger } from '../log.ts';
import { isApiKeyPrefix } from '../identity/api-key-format.ts';
import { UsageError, type CliIo } from './io.ts';
import { cliConfig, withServices, flags, required } from './command-kit.ts';
import { ADMIN_USER_COMMANDS, adminUsersCommand } from './admin-commands.ts';
import { SQL_ROUTINES } from '../app.ts';

/** `migrate [up|down]` */
export async function migrateCommand(args: string[], io: CliIo): Promise<number> {
  const direction = args[0] ?? 'up';
  if ((direction !== 'up' && direction !== 'down') || args.length > 1) throw new UsageError('usage: cloister migrate [up|down]');
  const config = cliConfig(io);
  const logger = createLogger(config.log.level, pino.destination(2));
  const db = await openDatabase(config, logger, { migrate: false, role: 'cli' });
  try {
    const ran = await runMigrations(db.url, direction, logger, { embedded: db.embedded, routines: SQL_ROUTINES });
    io.stdout(ran.length === 0 ? 'no migrations to run' : ran.map((n) => `${direction === 'up' ? 'applied' : 'reverted'} ${n}`).join('\n'));
    return 0;
  } finally {
    await db.close();
  }
}

/** `users create --email E [--admin]`, `users grant-admin --email E`, and the admin commands (list, disable, enable, set-tier) */
export async function usersCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== undefined && ADMIN_USER_COMMANDS.has(sub)) return adminUsersCommand(sub, rest, io);
  if (sub === 'create') {
    const v = flags(rest, { email: { type: 'string' }, admin: { type: 'boolean' } });
    const email = required(v.email, 'email');
    return withServices(io, async (s) => {
      const user = await s.users.createUser({ email, admin: v.admin === true, emailVerified: false });
      io.stdout(user.id);
      return 0;
    });
  }
  if (sub === 'grant-admin') {
    const v = flags(rest, { email: { type: 'string' } });
    const email = required(v.email, 'email');
    return withServices(io, async (s) => {
      const user = await s.users.grantAdmin(email);
      io.stdout(`${user.id} is now an admin`);
      return 0;
    });
  }
  throw new UsageError('usage: cloister users create --email E [--admin] | users grant-admin --email E | users list|disable|enable|set-tier ...');
}

/** `keys create --email E [--name N]`, `keys list --email E`, `keys revoke --prefix P` */
export async function keysCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'create') {
    const v = flags(rest, { email: { type: 'string' }, name: { type: 'string' } });
    const email = required(v.email, 'email');
    return withServices(io, async (s) => {
      const user = await s.users.findByEmail(email);
      if (!user) { io.stderr(`no user with email ${email}`); return 1; }
      const { key, summary } = await s.apiKeys.create(user.id, typeof v.name === 'string' ? v.name : null);
      await s.audit.recordBestEffort({ action: 'api_key.created', actorUserId: null, subjectUserId: user.id, clientIp: null, details: { via: 'cli', key_id: summary.id, key_prefix: summary.prefix } });
      io.stdout(`created key ${summary.prefix} for ${user.email}; it is shown once, store it now:`);
      io.stdout(key);
      return 0;
    });
  }
  if (sub === 'list') {
    const v = flags(rest, { email: { type: 'string' } });
    const email = required(v.email, 'email');
    return withServices(io, async (s) => {
      const user = await s.users.findByEmail(email);
      if (!user) { io.stderr(`no user with email ${email}`); return 1; }
      const keys = await s.apiKeys.list(user.id);
      io.stdout(['PREFIX\tNAME\tCREATED\tLAST USED\tSTATUS', ...keys.map((k) =>
        [k.prefix, k.name ?? '-', k.created_at.toISOString(), k.last_used_at?.toISOString() ?? '-', k.revoked_at ? 'revoked' : 'active'].join('\t'))].join('\n'));
      return 0;
    });
  }
  if (sub === 'revoke') {
    const v = flags(rest, { prefix: { type: 'string' } });
    const prefix = required(v.prefix, 'prefix');
    if (!isApiKeyPrefix(prefix)) throw new UsageError('--prefix must be the 12-character key prefix shown by `keys list`');
    return withServices(io, async (s) => {
      const revoked = await s.apiKeys.revoke({ prefix });
      if (!revoked) { io.stderr(`no active key with prefix ${prefix}`); return 1; }
      await s.audit.recordBestEffort({ action: 'api_key.revoked', actorUserId: null, subjectUserId: revoked.user_id, clientIp: null, details: { via: 'cli', key_id: revoked.id, key_prefix: revoked.prefix } });
      io.stdout(`revoked ${prefix}`);
      return 0;
    });
  }
  throw new UsageError('usage: cloister keys create --email E [--name N] | keys list --email E | keys revoke --prefix P');
}
