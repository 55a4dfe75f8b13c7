// `cloister users list|disable|enable|set-tier`: the admin API's user operations for an
// operator at the console. Same service, same validation, same audit rows (actor: none,
// details.via: 'cli').
import { AppError } from '../errors.ts';
import type { Services } from '../app.ts';
import type { Actor } from '../admin/service.ts';
import { adminUserJson } from '../admin/user-json.ts';
import type { AdminUserRow } from '../admin/queries.ts';
import { UsageError, type CliIo } from './io.ts';
import { withServices, flags, required } from './command-kit.ts';

export const ADMIN_USER_COMMANDS = new Set(['list', 'disable', 'enable', 'set-tier']);

const CLI: Actor = { userId: null, clientIp: null, via: 'cli' };
const iso = (s: number | null) => (s === null ? '-' : new Date(s * 1000).toISOString());

async function userByEmail(s: Services, email: string, io: CliIo): Promise<string | null> {
  const user = await s.users.findByEmail(email);
  if (!user) io.stderr(`no user with email ${email}`);
  return user?.id ?? null;
}

/** Runs one of ADMIN_USER_COMMANDS. */
export async function adminUsersCommand(sub: string, rest: string[], io: CliIo): Promise<number> {
  if (sub === 'list') {
    const v = flags(rest, { query: { type: 'string' }, json: { type: 'boolean' } });
    return withServices(io, async (s) => {
      const rows: AdminUserRow[] = [];
      for (let more = true; more;) {
        const page = (await s.admin.listUsers({ query: typeof v.query === 'string' ? v.query : null, limit: 100, after: rows.at(-1)?.id ?? null }))!;
        rows.push(...page.users);
        more = page.hasMore;
      }
      const users = rows.map((u) => adminUserJson(u, s.admin.monthStart()));
      if (v.json === true) {
        io.stdout(JSON.stringify(users, null, 2));
        return 0;
      }
      io.stdout(['ID\tEMAIL\tTIER\tSTATUS\tADMIN\tCREATED\tLAST ACTIVE\tREQUESTS (MONTH)\tTOKENS (MONTH)', ...users.map((u) => [
        u.id, u.email ?? '-', u.tier, u.disabled ? 'disabled' : 'active', u.is_admin ? 'admin' : '-', iso(u.created_at), iso(u.last_active_at),
        u.usage_this_month.requests, u.usage_this_month.input_tokens + u.usage_this_month.output_tokens + u.usage_this_month.estimated_tokens,
      ].join('\t'))].join('\n'));
      return 0;
    });
  }
  if (sub === 'disable' || sub === 'enable') {
    const email = required(flags(rest, { email: { type: 'string' } }).email, 'email');
    return withServices(io, async (s) => {
      const id = await userByEmail(s, email, io);
      if (!id) return 1;
      if (sub === 'disable') {
        await s.admin.disable(CLI, id);
        io.stdout(`disabled ${email}: every session and API key revoked`);
      } else {
        await s.admin.enable(CLI, id);
        io.stdout(`enabled ${email}: they can sign in again (revoked API keys stay revoked)`);
      }
      return 0;
    });
  }
  if (sub === 'set-tier') {
    const v = flags(rest, { email: { type: 'string' }, tier: { type: 'string' }, overrides: { type: 'string' } });
    const email = required(v.email, 'email');
    if (v.tier === undefined && v.overrides === undefined) throw new UsageError('give --tier T, --overrides JSON or both');
    const change: Record<string, unknown> = {};
    if (typeof v.tier === 'string') change.tier = v.tier;
    if (typeof v.overrides === 'string') {
      try {
        change.overrides = JSON.parse(v.overrides);
      } catch {
        throw new UsageError('--overrides must be JSON, e.g. \'{"rpm": 60, "daily_tokens": null}\'');
      }
    }
    return withServices(io, async (s) => {
      const id = await userByEmail(s, email, io);
      if (!id) return 1;
      try {
        const u = adminUserJson(await s.admin.setLimits(CLI, id, change), s.admin.monthStart());
        io.stdout(`${email}: tier ${u.tier}, overrides ${JSON.stringify(u.limit_overrides)}`);
        return 0;
      } catch (e) {
        // A bad tier or override is a bad argument, like any other.
        if (e instanceof AppError && e.code === 'invalid_request') throw new UsageError(`${e.param ? `${e.param}: ` : ''}${e.message}`);
        throw e;
      }
    });
  }
  throw new UsageError(`unknown users command: ${sub}`);
}
