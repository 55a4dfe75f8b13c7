// /v1/users/me…: the signed-in user's profile, settings, API keys, sessions, passkeys and
// account deletion. Every statement is scoped to the caller's own id.
import Type from 'typebox';
import { AppError } from '../errors.ts';
import type { AppContext } from '../http/context.ts';
import { route, type Route } from '../http/route.ts';
import type { UserRow } from './user-queries.ts';
import type { Queryable } from '../db/pool.ts';
import type { AccountService } from './account.ts';
import type { ApiKeyService } from './api-keys.ts';
import { parseKeyLimits } from '../limits/key-limits.ts';
import type { SessionService } from './sessions.ts';
import type { PasskeyService } from './passkeys.ts';
import type { SessionCookie } from './session-cookie.ts';
import { listPasskeys, renamePasskey, deletePasskey, type PasskeyRow } from './passkey-queries.ts';
import type { AuditAction, AuditDetails, AuditLog } from '../audit/audit-log.ts';

export interface AccountRoutesDeps {
  readonly db: Queryable;
  readonly account: AccountService;
  readonly apiKeys: ApiKeyService;
  readonly sessions: SessionService;
  readonly passkeys: PasskeyService;
  readonly cookie: SessionCookie;
  readonly audit: AuditLog;
}

const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);
const me = (ctx: AppContext) => ctx.state.principal!.userId;

const UUID_PARAM = Type.Object({ id: Type.String({ pattern: '^[0-9a-fA-F-]{36}$' }) });
const NAME = Type.Union([Type.String({ maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }), Type.Null()]);
const TIME = Type.Union([Type.Integer(), Type.Null()]);
const USER = Type.Object({
  object: Type.Literal('user'), id: Type.String(), email: Type.Union([Type.String(), Type.Null()]), email_verified: Type.Boolean(),
  display_name: Type.Union([Type.String(), Type.Null()]), is_admin: Type.Boolean(), created_at: TIME,
});
const PASSKEY = Type.Object({
  object: Type.Literal('passkey'), id: Type.String(), name: Type.Union([Type.String(), Type.Null()]), created_at: TIME, last_used_at: TIME,
  backed_up: Type.Boolean(), device_type: Type.String(), transports: Type.Array(Type.String()),
});
const KEY_LIMITS = Type.Object({ rpm: Type.Optional(Type.Integer({ minimum: 1 })), tpm: Type.Optional(Type.Integer({ minimum: 1 })), concurrency: Type.Optional(Type.Integer({ minimum: 0 })) });
const API_KEY = Type.Object({
  object: Type.Literal('api_key'), id: Type.String(), name: Type.Union([Type.String(), Type.Null()]), prefix: Type.String(),
  created_at: TIME, last_used_at: Type.Optional(TIME), limits: KEY_LIMITS, key: Type.Optional(Type.String({ description: 'shown once, at creation' })),
});
const DELETED = (object: string) => Type.Object({ object: Type.Literal(object), id: Type.String(), deleted: Type.Literal(true) });
const listOf = <T extends Type.TSchema>(item: T) => Type.Object({ object: Type.Literal('list'), data: Type.Array(item) });

function userJson(user: UserRow) {
  return {
    object: 'user', id: user.id, email: user.email, email_verified: user.email_verified, display_name: user.display_name,
    is_admin: user.is_admin, created_at: seconds(user.created_at),
  };
}

function passkeyJson(p: PasskeyRow) {
  return {
    object: 'passkey', id: p.id, name: p.name, created_at: seconds(p.created_at), last_used_at: seconds(p.last_used_at),
    backed_up: p.backed_up, device_type: p.device_type, transports: p.transports,
  };
}

/** The self-service routes (signed-in users only). */
export function accountRoutes(deps: AccountRoutesDeps): Route[] {
  const { account } = deps;
  // Self-service security events: best effort, the change itself has already happened.
  const audit = (ctx: AppContext, action: AuditAction, details: AuditDetails) => deps.audit.recordBestEffort({
    action, actorUserId: me(ctx), subjectUserId: me(ctx), clientIp: ctx.state.clientIp, details,
  });
  const tag = 'account';
  return [
    route({
      method: 'GET', path: '/v1/users/me', access: 'user', doc: { tag, summary: 'Your profile', response: USER },
      async handle(ctx) {
        ctx.body = userJson(await account.profile(me(ctx)));
      },
    }),
    route({
      method: 'PATCH', path: '/v1/users/me', access: 'user',
      body: { json: Type.Object({ display_name: NAME }, { additionalProperties: false }) },
      doc: { tag, summary: 'Change your display name', response: USER },
      async handle(ctx, { body }) {
        ctx.body = userJson(await account.updateDisplayName(me(ctx), body.display_name));
      },
    }),
    route({
      method: 'DELETE', path: '/v1/users/me', access: 'user',
      doc: {
        tag, summary: 'Delete your account: everything you own upstream is deleted (best effort), then every row about you',
        response: Type.Object({ object: Type.Literal('user.deleted'), id: Type.String(), deleted: Type.Literal(true), failed_objects: Type.Array(Type.String()) }),
      },
      async handle(ctx) {
        const userId = me(ctx);
        const { failed } = await account.deleteAccount(userId);
        await audit(ctx, 'account.deleted', { via: 'api', failed_objects: failed.length });
        deps.cookie.clear(ctx);
        ctx.body = { object: 'user.deleted', id: userId, deleted: true, failed_objects: failed };
      },
    }),
    route({
      method: 'GET', path: '/v1/users/me/settings', access: 'user',
      doc: { tag, summary: 'Your settings (stored encrypted)', response: Type.Record(Type.String(), Type.Unknown()) },
      async handle(ctx) {
        ctx.set('cache-control', 'no-store');
        ctx.body = await account.settings(me(ctx));
      },
    }),
    route({
      method: 'PUT', path: '/v1/users/me/settings', access: 'user',
      body: { json: Type.Record(Type.String(), Type.Unknown()) },
      doc: { tag, summary: 'Replace your settings (a JSON object, at most 48 KiB; stored encrypted). Known keys: default_model (an allowed model), instructions (≤ 8000 characters), instructions_enabled (boolean)', response: Type.Record(Type.String(), Type.Unknown()) },
      async handle(ctx, { body }) {
        ctx.body = await account.putSettings(me(ctx), body);
      },
    }),
    route({
      method: 'GET', path: '/v1/users/me/api-keys', access: 'user', doc: { tag, summary: 'Your API keys (prefixes only)', response: listOf(API_KEY) },
      async handle(ctx) {
        const keys = await deps.apiKeys.list(me(ctx));
        ctx.body = {
          object: 'list',
          data: keys.filter((k) => !k.revoked_at).map((k) => ({
            object: 'api_key', id: k.id, name: k.name, prefix: k.prefix, created_at: seconds(k.created_at), last_used_at: seconds(k.last_used_at), limits: k.limits,
          })),
        };
      },
    }),
    route({
      method: 'POST', path: '/v1/users/me/api-keys', access: 'user',
      body: { json: Type.Object({ name: Type.Optional(NAME), limits: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()])) }, { additionalProperties: false }), optional: true, limitBytes: 4096 },
      doc: { tag, summary: 'Create an API key (shown once); optional limits {rpm, tpm, concurrency} cap it below your own', status: 201, response: API_KEY },
      async handle(ctx, { body }) {
        const limits = parseKeyLimits(body?.limits);
        const { key, summary } = await deps.apiKeys.create(me(ctx), body?.name ?? null, limits);
        await audit(ctx, 'api_key.created', { via: 'api', key_id: summary.id, key_prefix: summary.prefix, ...(Object.keys(summary.limits).length ? { limits: summary.limits } : {}) });
        ctx.set('cache-control', 'no-store');
        ctx.status = 201;
        ctx.body = { object: 'api_key', id: summary.id, name: summary.name, prefix: summary.prefix, created_at: seconds(summary.created_at), limits: summary.limits, key };
      },
    }),
    route({
      method: 'DELETE', path: '/v1/users/me/api-keys/:id', access: 'user', params: UUID_PARAM,
      doc: { tag, summary: 'Revoke an API key', response: DELETED('api_key.deleted') },
      async handle(ctx, { params }) {
        const revoked = await deps.apiKeys.revoke({ id: params.id, userId: me(ctx) });
        if (!revoked) throw new AppError('not_found', `No API key found with id '${params.id}'.`, { param: 'id' });
        await audit(ctx, 'api_key.revoked', { via: 'api', key_id: revoked.id, key_prefix: revoked.prefix });
        ctx.body = { object: 'api_key.deleted', id: params.id, deleted: true };
      },
    }),
    route({
      method: 'GET', path: '/v1/users/me/sessions', access: 'user',
      doc: { tag, summary: 'Your sessions', response: listOf(Type.Object({ object: Type.Literal('session'), id: Type.String(), method: Type.String(), created_at: TIME, last_seen_at: TIME, expires_at: TIME, current: Type.Boolean() })) },
      async handle(ctx) {
        const rows = await deps.sessions.list(me(ctx));
        ctx.body = {
          object: 'list',
          data: rows.map((s) => ({
            object: 'session', id: s.id, method: s.method, created_at: seconds(s.created_at), last_seen_at: seconds(s.last_seen_at),
            expires_at: seconds(s.expires_at), current: s.id === ctx.state.principal!.sessionId,
          })),
        };
      },
    }),
    route({
      method: 'DELETE', path: '/v1/users/me/sessions/:id', access: 'user', params: UUID_PARAM,
      doc: { tag, summary: 'Revoke a session', response: DELETED('session.deleted') },
      async handle(ctx, { params }) {
        if (!(await deps.sessions.revoke(params.id, me(ctx)))) throw new AppError('not_found', `No session found with id '${params.id}'.`, { param: 'id' });
        if (params.id === ctx.state.principal!.sessionId) deps.cookie.clear(ctx);
        ctx.body = { object: 'session.deleted', id: params.id, deleted: true };
      },
    }),
    route({
      method: 'GET', path: '/v1/users/me/passkeys', access: 'user', doc: { tag, summary: 'Your passkeys', response: listOf(PASSKEY) },
      async handle(ctx) {
        ctx.body = { object: 'list', data: (await listPasskeys(deps.db, me(ctx))).map(passkeyJson) };
      },
    }),
    route({
      method: 'POST', path: '/v1/users/me/passkeys/options', access: 'user',
      body: { json: Type.Object({}, { additionalProperties: false }), optional: true, limitBytes: 4096 },
      doc: { tag, summary: 'Options to add a passkey' },
      async handle(ctx) {
        ctx.set('cache-control', 'no-store');
        ctx.body = await deps.passkeys.addOptions(me(ctx));
      },
    }),
    route({
      method: 'POST', path: '/v1/users/me/passkeys', access: 'user',
      body: { json: Type.Object({ response: Type.Unknown() }, { additionalProperties: false }) },
      doc: { tag, summary: 'Add a passkey', status: 201, response: PASSKEY },
      async handle(ctx, { body }) {
        const passkey = await deps.passkeys.addVerify(me(ctx), body.response);
        await audit(ctx, 'passkey.added', { passkey_id: passkey.id });
        ctx.status = 201;
        ctx.body = passkeyJson(passkey);
      },
    }),
    route({
      method: 'PATCH', path: '/v1/users/me/passkeys/:id', access: 'user', params: Type.Object({ id: Type.String({ maxLength: 1024 }) }),
      body: { json: Type.Object({ name: NAME }, { additionalProperties: false }) },
      doc: { tag, summary: 'Rename a passkey', response: Type.Object({ object: Type.Literal('passkey'), id: Type.String(), name: Type.Union([Type.String(), Type.Null()]) }) },
      async handle(ctx, { params, body }) {
        if (!(await renamePasskey(deps.db, params.id, me(ctx), body.name === null ? null : body.name.trim() || null))) {
          throw new AppError('not_found', 'No passkey found with that id.', { param: 'id' });
        }
        ctx.body = { object: 'passkey', id: params.id, name: body.name };
      },
    }),
    route({
      method: 'DELETE', path: '/v1/users/me/passkeys/:id', access: 'user', params: Type.Object({ id: Type.String({ maxLength: 1024 }) }),
      doc: { tag, summary: 'Delete a passkey', response: DELETED('passkey.deleted') },
      async handle(ctx, { params }) {
        if (!(await deletePasskey(deps.db, params.id, me(ctx)))) throw new AppError('not_found', 'No passkey found with that id.', { param: 'id' });
        await audit(ctx, 'passkey.removed', { passkey_id: params.id });
        ctx.body = { object: 'passkey.deleted', id: params.id, deleted: true };
      },
    }),
  ];
}
