// /v1/admin/*: users (search, detail, disable, enable, tier and overrides), usage aggregates
// and the audit log. Admins only — `guard` hides everything else as an unknown URL. Counts and
// metadata only, never content.
import Type from 'typebox';
import { route, type Route } from '../http/route.ts';
import { AppError } from '../errors.ts';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { AppContext } from '../http/context.ts';
import { AUDIT_ACTIONS, type AuditAction, type AuditLog } from '../audit/audit-log.ts';
import type { AuditEventRow } from '../audit/queries.ts';
import { UUID, type Actor, type AdminService } from './service.ts';
import type { AdminUserRow } from './queries.ts';
import { adminUserJson } from './user-json.ts';
import { utcDay } from '../limits/periods.ts';
import { usageByDay, usageByModel, usageTopUsers, type UsageAggregateRow } from './queries.ts';

export interface AdminRoutesDeps {
  readonly db: Queryable;
  readonly clock: Clock;
  readonly admin: AdminService;
  readonly audit: AuditLog;
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

/** A calendar date (YYYY-MM-DD) that exists, or the default. */
function dateParam(v: string | undefined, name: string, dflt: string): string {
  const value = v ?? dflt;
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw new AppError('invalid_request', `${name} must be a date as YYYY-MM-DD`, { param: name });
  return value;
}

function list<T extends { id: string }>(data: T[], hasMore: boolean) {
  return { object: 'list', data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

const LIMIT = Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 }));
const DATE = Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date' }));
const USER_PARAM = Type.Object({ id: Type.String({ maxLength: 64 }) });
const LIMIT_VALUE = (minimum: number) => Type.Union([Type.Integer({ minimum }), Type.Null()]);
const LIMIT_VALUES = Type.Object({
  rpm: Type.Optional(LIMIT_VALUE(1)), tpm: Type.Optional(LIMIT_VALUE(1)), concurrency: Type.Optional(LIMIT_VALUE(0)),
  daily_tokens: Type.Optional(LIMIT_VALUE(0)), monthly_tokens: Type.Optional(LIMIT_VALUE(0)),
}, { additionalProperties: false });
const ADMIN_USER = Type.Object({
  object: Type.Literal('admin.user'), id: Type.String(), email: Type.Union([Type.String(), Type.Null()]), created_at: Type.Integer(),
  last_active_at: Type.Union([Type.Integer(), Type.Null()]), disabled: Type.Boolean(), disabled_at: Type.Union([Type.Integer(), Type.Null()]),
  is_admin: Type.Boolean(), tier: Type.String(),
  limit_overrides: Type.Record(Type.String(), Type.Union([Type.Integer(), Type.Null()]), { description: 'a present key overrides the tier (null = unlimited); an absent key follows the tier' }),
  usage_this_month: Type.Object({ since: Type.String({ format: 'date' }), requests: Type.Integer(), input_tokens: Type.Integer(), output_tokens: Type.Integer(), estimated_tokens: Type.Integer() }),
});
const listOf = <T extends Type.TSchema>(item: T) => Type.Object({
  object: Type.Literal('list'), data: Type.Array(item), has_more: Type.Boolean(),
  first_id: Type.Union([Type.String(), Type.Null()]), last_id: Type.Union([Type.String(), Type.Null()]),
});
const COUNTS = {
  requests: Type.Integer(), input_tokens: Type.Integer(), output_tokens: Type.Integer(), estimated_tokens: Type.Integer(), requests_without_usage: Type.Integer(),
};

/** The admin routes (/v1/admin/…): behind the admin guard, hidden from everyone else. */
export function adminRoutes(deps: AdminRoutesDeps): Route[] {
  const { admin } = deps;
  const actor = (ctx: AppContext): Actor => ({ userId: ctx.state.principal!.userId, clientIp: ctx.state.clientIp, via: 'api' });
  const userBody = async (row: Promise<AdminUserRow>) => adminUserJson(await row, admin.monthStart());
  const tag = 'administration';
  return [
    route({
      method: 'GET', path: '/v1/admin/users', access: 'admin',
      query: Type.Object({ query: Type.Optional(Type.String({ maxLength: 320, description: 'email substring or exact id' })), limit: LIMIT, after: Type.Optional(Type.String({ maxLength: 64, description: 'last id of the previous page' })) }, { additionalProperties: false }),
      doc: { tag, summary: 'Users, newest first', response: listOf(ADMIN_USER) },
      async handle(ctx, { query }) {
        const page = await admin.listUsers({ query: query.query ?? null, limit: query.limit ?? 20, after: query.after ?? null });
        if (!page) throw new AppError('not_found', `No user found with id '${query.after!}'.`, { param: 'after' });
        const monthStart = admin.monthStart();
        ctx.body = list(page.users.map((u) => adminUserJson(u, monthStart)), page.hasMore);
      },
    }),
    route({
      method: 'GET', path: '/v1/admin/users/:id', access: 'admin', params: USER_PARAM,
      doc: { tag, summary: "One user, with this month's usage", response: ADMIN_USER },
      async handle(ctx, { params }) {
        const user = await admin.getUser(params.id);
        if (!user) throw new AppError('not_found', `No user found with id '${params.id}'.`, { param: 'id' });
        ctx.body = adminUserJson(user, admin.monthStart());
      },
    }),
    route({
      method: 'POST', path: '/v1/admin/users/:id/disable', access: 'admin', params: USER_PARAM,
      doc: { tag, summary: 'Disable a user: every session and API key revoked at once (not yourself)', response: ADMIN_USER },
      async handle(ctx, { params }) {
        ctx.body = await userBody(admin.disable(actor(ctx), params.id));
      },
    }),
    route({
      method: 'POST', path: '/v1/admin/users/:id/enable', access: 'admin', params: USER_PARAM,
      doc: { tag, summary: 'Re-enable a user (revoked sessions and keys stay revoked)', response: ADMIN_USER },
      async handle(ctx, { params }) {
        ctx.body = await userBody(admin.enable(actor(ctx), params.id));
      },
    }),
    route({
      method: 'POST', path: '/v1/admin/users/:id/limits', access: 'admin', params: USER_PARAM,
      body: {
        json: Type.Object({ tier: Type.Optional(Type.String({ maxLength: 32, description: "'default' or a tier named in RATE_LIMIT_TIERS" })), overrides: Type.Optional(LIMIT_VALUES) }, { additionalProperties: false, description: 'tier and/or overrides' }),
        limitBytes: 4096,
      },
      doc: { tag, summary: "Set a user's tier and/or limit overrides (overrides replace the previous ones; {} clears)", response: ADMIN_USER },
      async handle(ctx, { params, body }) {
        ctx.body = await userBody(admin.setLimits(actor(ctx), params.id, body));
      },
    }),
    route({
      method: 'GET', path: '/v1/admin/usage', access: 'admin',
      query: Type.Object({
        from: DATE, to: DATE,
        group_by: Type.Optional(Type.Enum(['day', 'model', 'user'], { default: 'day' })),
        limit: LIMIT,
      }, { additionalProperties: false }),
      doc: {
        tag, summary: 'Usage aggregates (counts only): from and to (UTC dates, default this month), group_by day, model or user',
        response: Type.Object({
          object: Type.Literal('list'), group_by: Type.String(), from: Type.String({ format: 'date' }), to: Type.String({ format: 'date' }), has_more: Type.Boolean(),
          data: Type.Array(Type.Object({ object: Type.Literal('usage.aggregate'), date: Type.Optional(Type.String()), model: Type.Optional(Type.String()), user_id: Type.Optional(Type.String()), email: Type.Optional(Type.Union([Type.String(), Type.Null()])), ...COUNTS })),
        }),
      },
      async handle(ctx, { query }) {
        const today = utcDay(deps.clock.now());
        const from = dateParam(query.from, 'from', admin.monthStart());
        const to = dateParam(query.to, 'to', today);
        const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
        if (days < 1) throw new AppError('invalid_request', 'from must not be after to', { param: 'from' });
        if (days > MAX_RANGE_DAYS) throw new AppError('invalid_request', `the range may span at most ${MAX_RANGE_DAYS} days`, { param: 'from' });
        const groupBy = query.group_by ?? 'day';
        const limit = query.limit ?? 20;
        await deps.flushUsage();
        let data: Array<Record<string, unknown>>;
        let hasMore = false;
        if (groupBy === 'day') {
          data = (await usageByDay(deps.db, from, to)).map((r) => ({ object: 'usage.aggregate', date: r.key, ...counts(r) }));
        } else if (groupBy === 'model') {
          data = (await usageByModel(deps.db, from, to)).map((r) => ({ object: 'usage.aggregate', model: r.key, ...counts(r) }));
        } else {
          const rows = await usageTopUsers(deps.db, from, to, limit + 1);
          hasMore = rows.length > limit;
          data = rows.slice(0, limit).map((r) => ({ object: 'usage.aggregate', user_id: r.key, email: r.email ?? null, ...counts(r) }));
        }
        ctx.body = { object: 'list', data, has_more: hasMore, group_by: groupBy, from, to };
      },
    }),
    route({
      method: 'GET', path: '/v1/admin/audit', access: 'admin',
      query: Type.Object({
        after: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,17}$', description: 'last id of the previous page' })),
        limit: LIMIT,
        user: Type.Optional(Type.String({ pattern: UUID.source, description: 'subject user id' })),
        action: Type.Optional(Type.Enum([...AUDIT_ACTIONS])),
      }, { additionalProperties: false }),
      doc: {
        tag, summary: 'The audit log, newest first',
        response: listOf(Type.Object({
          object: Type.Literal('audit_event'), id: Type.String(), occurred_at: Type.Integer(), action: Type.String(), actor_user_id: Type.Union([Type.String(), Type.Null()]),
          subject_user_id: Type.Union([Type.String(), Type.Null()]), client_ip: Type.Union([Type.String(), Type.Null()]),
          details: Type.Record(Type.String(), Type.Unknown(), { description: 'metadata only: method, reason code, key id and prefix, tier and limit values' }),
        })),
      },
      async handle(ctx, { query }) {
        const page = await deps.audit.list({ limit: query.limit ?? 20, after: query.after ?? null, subjectUserId: query.user ?? null, action: (query.action ?? null) as AuditAction | null });
        if (!page) throw new AppError('not_found', `No audit event found with id '${query.after!}'.`, { param: 'after' });
        ctx.body = list(page.events.map(auditJson), page.hasMore);
      },
    }),
  ];
}
