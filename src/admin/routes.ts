// /v1/admin/*: users (search, detail, disable, enable, tier and overrides), usage aggregates
// and the audit log. Admins only — `guard` hides everything else as an unknown URL. Counts and
// metadata only, never content.
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import { AppError } from '../errors.ts';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { AppContext, AppMiddleware, AppState } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import { AUDIT_ACTIONS, type AuditAction, type AuditLog } from '../audit/audit-log.ts';
import type { AuditEventRow } from '../audit/queries.ts';
import { UUID, type Actor, type AdminService } from './service.ts';
import type { AdminUserRow } from './queries.ts';
import { adminUserJson } from './user-json.ts';
import { utcDay } from '../limits/periods.ts';
import { usageByDay, usageByModel, usageTopUsers, type UsageAggregateRow } from './queries.ts';

export interface AdminRouterDeps {
  readonly db: Queryable;
  readonly clock: Clock;
  readonly admin: AdminService;
  readonly audit: AuditLog;
  /** the admin guard: runs for every admin route, before its handler */
  readonly guard: AppMiddleware;
  /** writes this replica's buffered usage counters, so aggregates include them */
  readonly flushUsage: () => Promise<void>;
}

const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);
const MAX_RANGE_DAYS = 366;

function auditJson(e: AuditEventRow) {
  return {
    object: 'audit_event', id: e.id, occurred_at: seconds(e.occurred_at), action: e.action, actor_user_id: e.actor_user_id,
    subject_user_id: e.subject_user_id, client_ip: e.client_ip, details: e.details,
  };
}

function counts(r: UsageAggregateRow) {
  return {
    requests: Number(r.requests), input_tokens: Number(r.input_tokens), output_tokens: Number(r.output_tokens),
    estimated_tokens: Number(r.estimated_tokens), requests_without_usage: Number(r.requests_without_usage),
  };
}

/** One optional query string parameter (a repeated one is refused). */
function param(ctx: AppContext, name: string): string | undefined {
  const v = ctx.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new AppError('invalid_request', `${name} must be given once`, { param: name });
  return v;
}

function intParam(ctx: AppContext, name: string, dflt: number, min: number, max: number): number {
  const v = param(ctx, name);
  if (v === undefined) return dflt;
  if (!/^\d{1,6}$/.test(v) || Number(v) < min || Number(v) > max) throw new AppError('invalid_request', `${name} must be an integer between ${min} and ${max}`, { param: name });
  return Number(v);
}

function dateParam(ctx: AppContext, name: string, dflt: string): string {
  const v = param(ctx, name) ?? dflt;
  const d = /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T00:00:00Z`) : null;
  if (!d || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw new AppError('invalid_request', `${name} must be a date as YYYY-MM-DD`, { param: name });
  return v;
}

function list<T extends { id: string }>(data: T[], hasMore: boolean) {
  return { object: 'list', data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

/** The admin router (prefix /v1/admin). */
export function createAdminRouter(deps: AdminRouterDeps): Router<AppState> {
  // Hidden: no 405 or OPTIONS answer of its own, so a wrong method is the 404 of an unknown URL.
  const router = createRouter({ prefix: '/v1/admin', hidden: true });
  const { admin } = deps;
  router.use(deps.guard);
  const actor = (ctx: AppContext): Actor => ({ userId: ctx.state.principal!.userId, clientIp: ctx.state.clientIp, via: 'api' });
  const userBody = async (row: Promise<AdminUserRow>) => adminUserJson(await row, admin.monthStart());

  router.get('/users', async (ctx) => {
    const query = param(ctx, 'query') ?? null;
    if (query !== null && query.length > 320) throw new AppError('invalid_request', 'query must be at most 320 characters', { param: 'query' });
    const after = param(ctx, 'after') ?? null;
    const page = await admin.listUsers({ query, limit: intParam(ctx, 'limit', 20, 1, 100), after });
    if (!page) throw new AppError('not_found', `No user found with id '${after!.slice(0, 64)}'.`, { param: 'after' });
    const monthStart = admin.monthStart();
    ctx.body = list(page.users.map((u) => adminUserJson(u, monthStart)), page.hasMore);
  });
  router.get('/users/:id', async (ctx) => {
    const user = await admin.getUser(ctx.params.id!);
    if (!user) throw new AppError('not_found', `No user found with id '${ctx.params.id!.slice(0, 64)}'.`, { param: 'id' });
    ctx.body = adminUserJson(user, admin.monthStart());
  });
  router.post('/users/:id/disable', async (ctx) => {
    ctx.body = await userBody(admin.disable(actor(ctx), ctx.params.id!));
  });
  router.post('/users/:id/enable', async (ctx) => {
    ctx.body = await userBody(admin.enable(actor(ctx), ctx.params.id!));
  });
  router.post('/users/:id/limits', jsonBody({ limitBytes: 4096 }), async (ctx) => {
    ctx.body = await userBody(admin.setLimits(actor(ctx), ctx.params.id!, ctx.state.json));
  });

  router.get('/usage', async (ctx) => {
    const today = utcDay(deps.clock.now());
    const from = dateParam(ctx, 'from', admin.monthStart());
    const to = dateParam(ctx, 'to', today);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
    if (days < 1) throw new AppError('invalid_request', 'from must not be after to', { param: 'from' });
    if (days > MAX_RANGE_DAYS) throw new AppError('invalid_request', `the range may span at most ${MAX_RANGE_DAYS} days`, { param: 'from' });
    const groupBy = param(ctx, 'group_by') ?? 'day';
    const limit = intParam(ctx, 'limit', 20, 1, 100);
    await deps.flushUsage();
    let data: Array<Record<string, unknown>>;
    let hasMore = false;
    if (groupBy === 'day') {
      data = (await usageByDay(deps.db, from, to)).map((r) => ({ object: 'usage.aggregate', date: r.key, ...counts(r) }));
    } else if (groupBy === 'model') {
      data = (await usageByModel(deps.db, from, to)).map((r) => ({ object: 'usage.aggregate', model: r.key, ...counts(r) }));
    } else if (groupBy === 'user') {
      const rows = await usageTopUsers(deps.db, from, to, limit + 1);
      hasMore = rows.length > limit;
      data = rows.slice(0, limit).map((r) => ({ object: 'usage.aggregate', user_id: r.key, email: r.email ?? null, ...counts(r) }));
    } else {
      throw new AppError('invalid_request', 'group_by must be day, model or user', { param: 'group_by' });
    }
    ctx.body = { object: 'list', data, has_more: hasMore, group_by: groupBy, from, to };
  });

  router.get('/audit', async (ctx) => {
    const after = param(ctx, 'after') ?? null;
    if (after !== null && !/^[1-9]\d{0,17}$/.test(after)) throw new AppError('invalid_request', 'after must be an audit event id', { param: 'after' });
    const user = param(ctx, 'user') ?? null;
    if (user !== null && !UUID.test(user)) throw new AppError('invalid_request', 'user must be a user id', { param: 'user' });
    const action = param(ctx, 'action') ?? null;
    if (action !== null && !(AUDIT_ACTIONS as readonly string[]).includes(action)) {
      throw new AppError('invalid_request', `action must be one of: ${AUDIT_ACTIONS.join(', ')}`, { param: 'action' });
    }
    const page = await deps.audit.list({ limit: intParam(ctx, 'limit', 20, 1, 100), after, subjectUserId: user, action: action as AuditAction | null });
    if (!page) throw new AppError('not_found', `No audit event found with id '${after}'.`, { param: 'after' });
    ctx.body = list(page.events.map(auditJson), page.hasMore);
  });
  return router;
}
