// /v1/users/me…: the signed-in user's profile, settings, API keys, sessions, passkeys and
// account deletion. Every statement is scoped to the caller's own id.
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import { AppError } from '../errors.ts';
import type { AppContext, AppMiddleware, AppState } from '../http/context.ts';
import { jsonBody } from '../http/body.ts';
import type { UserService } from './user-service.ts';
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

export interface UsersRouterDeps {
  readonly db: Queryable;
  readonly users: UserService;
  readonly auth: AppMiddleware;
  readonly account: AccountService;
  readonly apiKeys: ApiKeyService;
  readonly sessions: SessionService;
  readonly passkeys: PasskeyService;
  readonly cookie: SessionCookie;
  readonly audit: AuditLog;
}

const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);
const body = jsonBody({ limitBytes: 64 * 1024 });
const me = (ctx: AppContext) => ctx.state.principal!.userId;
const json = (ctx: AppContext) => (ctx.state.json ?? {}) as Record<string, unknown>;

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

/** Self-service routes; `auth` must set ctx.state.principal. */
export function createUsersRouter(deps: UsersRouterDeps): Router<AppState> {
  const router = createRouter({ prefix: '/v1/users' });
  const { auth, account } = deps;
  // Self-service security events: best effort, the change itself has already happened.
  const audit = (ctx: AppContext, action: AuditAction, details: AuditDetails) => deps.audit.recordBestEffort({
    action, actorUserId: me(ctx), subjectUserId: me(ctx), clientIp: ctx.state.clientIp, details,
  });

  router.get('/me', auth, async (ctx) => {
    ctx.body = userJson(await account.profile(me(ctx)));
  });
  router.patch('/me', auth, body, async (ctx) => {
    const b = json(ctx);
    if (!('display_name' in b)) throw new AppError('invalid_request', 'display_name is required', { param: 'display_name' });
    ctx.body = userJson(await account.updateDisplayName(me(ctx), b.display_name));
  });
  router.delete('/me', auth, async (ctx) => {
    const userId = me(ctx);
    const { failed } = await account.deleteAccount(userId);
    await audit(ctx, 'account.deleted', { via: 'api', failed_objects: failed.length });
    deps.cookie.clear(ctx);
    ctx.body = { object: 'user.deleted', id: userId, deleted: true, failed_objects: failed };
  });

  router.get('/me/settings', auth, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await account.settings(me(ctx));
  });
  router.put('/me/settings', auth, body, async (ctx) => {
    ctx.body = await account.putSettings(me(ctx), ctx.state.json);
  });

  router.get('/me/api-keys', auth, async (ctx) => {
    const keys = await deps.apiKeys.list(me(ctx));
    ctx.body = {
      object: 'list',
      data: keys.filter((k) => !k.revoked_at).map((k) => ({
        object: 'api_key', id: k.id, name: k.name, prefix: k.prefix, created_at: seconds(k.created_at), last_used_at: seconds(k.last_used_at), limits: k.limits,
      })),
    };
  });
  router.post('/me/api-keys', auth, jsonBody({ limitBytes: 4096, optional: true }), async (ctx) => {
    const name = json(ctx).name;
    if (name !== undefined && name !== null && typeof name !== 'string') throw new AppError('invalid_request', 'name must be a string', { param: 'name' });
    const limits = parseKeyLimits(json(ctx).limits);
    const { key, summary } = await deps.apiKeys.create(me(ctx), name ?? null, limits);
    await audit(ctx, 'api_key.created', { via: 'api', key_id: summary.id, key_prefix: summary.prefix, ...(Object.keys(summary.limits).length ? { limits: summary.limits } : {}) });
    ctx.set('cache-control', 'no-store');
    ctx.status = 201;
    ctx.body = { object: 'api_key', id: summary.id, name: summary.name, prefix: summary.prefix, created_at: seconds(summary.created_at), limits: summary.limits, key };
  });
  router.delete('/me/api-keys/:id', auth, async (ctx) => {
    const id = ctx.params.id!;
    const revoked = /^[0-9a-f-]{36}$/i.test(id) ? await deps.apiKeys.revoke({ id, userId: me(ctx) }) : null;
    if (!revoked) throw new AppError('not_found', `No API key found with id '${id.slice(0, 64)}'.`);
    await audit(ctx, 'api_key.revoked', { via: 'api', key_id: revoked.id, key_prefix: revoked.prefix });
    ctx.body = { object: 'api_key.deleted', id, deleted: true };
  });

  router.get('/me/sessions', auth, async (ctx) => {
    const rows = await deps.sessions.list(me(ctx));
    ctx.body = {
      object: 'list',
      data: rows.map((s) => ({
        object: 'session', id: s.id, method: s.method, created_at: seconds(s.created_at), last_seen_at: seconds(s.last_seen_at),
        expires_at: seconds(s.expires_at), current: s.id === ctx.state.principal!.sessionId,
      })),
    };
  });
  router.delete('/me/sessions/:id', auth, async (ctx) => {
    const id = ctx.params.id!;
    if (!/^[0-9a-f-]{36}$/i.test(id) || !(await deps.sessions.revoke(id, me(ctx)))) {
      throw new AppError('not_found', `No session found with id '${id.slice(0, 64)}'.`);
    }
    if (id === ctx.state.principal!.sessionId) deps.cookie.clear(ctx);
    ctx.body = { object: 'session.deleted', id, deleted: true };
  });

  router.get('/me/passkeys', auth, async (ctx) => {
    ctx.body = { object: 'list', data: (await listPasskeys(deps.db, me(ctx))).map(passkeyJson) };
  });
  router.post('/me/passkeys/options', auth, jsonBody({ limitBytes: 4096, optional: true }), async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await deps.passkeys.addOptions(me(ctx));
  });
  router.post('/me/passkeys', auth, body, async (ctx) => {
    const passkey = await deps.passkeys.addVerify(me(ctx), json(ctx).response);
    await audit(ctx, 'passkey.added', { passkey_id: passkey.id });
    ctx.status = 201;
    ctx.body = passkeyJson(passkey);
  });
  router.patch('/me/passkeys/:id', auth, body, async (ctx) => {
    const name = json(ctx).name;
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    if (name !== null && (typeof name !== 'string' || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name))) {
      throw new AppError('invalid_request', 'name must be null or at most 100 printable characters', { param: 'name' });
    }
    if (!(await renamePasskey(deps.db, ctx.params.id!, me(ctx), name === null ? null : name.trim() || null))) {
      throw new AppError('not_found', 'No passkey found with that id.');
    }
    ctx.body = { object: 'passkey', id: ctx.params.id, name };
  });
  router.delete('/me/passkeys/:id', auth, async (ctx) => {
    if (!(await deletePasskey(deps.db, ctx.params.id!, me(ctx)))) throw new AppError('not_found', 'No passkey found with that id.');
    await audit(ctx, 'passkey.removed', { passkey_id: ctx.params.id!.slice(0, 1024) });
    ctx.body = { object: 'passkey.deleted', id: ctx.params.id, deleted: true };
  });
  return router;
}
