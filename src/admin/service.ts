// Administration shared by the /v1/admin routes and the CLI: find users, disable and
// re-enable them, set their tier and limit overrides. Every change writes its audit row in
// the change's own transaction: if the row cannot be written, nothing changes and the caller
// gets an error.
import type { Pool } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { ApiKeyService } from '../identity/api-keys.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { disableUser, enableUser, setUserLimits } from '../identity/account-state.ts';
import { searchUsers, findAdminUser, type AdminUserRow } from './queries.ts';
import { parseLimitsChange } from './limits-input.ts';
import { utcMonthStart } from '../limits/periods.ts';

/** Who acts: an admin over HTTP (with the client's address) or an operator at the CLI (no user). */
export interface Actor {
  readonly userId: string | null;
  readonly clientIp: string | null;
  readonly via: 'api' | 'cli';
}

export interface AdminService {
  /** a page of users, newest first; null when the `after` user does not exist */
  listUsers(q: { query: string | null; limit: number; after: string | null }): Promise<{ users: AdminUserRow[]; hasMore: boolean } | null>;
  getUser(id: string): Promise<AdminUserRow | null>;
  disable(actor: Actor, userId: string): Promise<AdminUserRow>;
  enable(actor: Actor, userId: string): Promise<AdminUserRow>;
  /** validates `body` ({tier?, overrides?}) fully, then applies it */
  setLimits(actor: Actor, userId: string, body: unknown): Promise<AdminUserRow>;
  /** the first day (YYYY-MM-DD, UTC) of the current month */
  monthStart(): string;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (id: string) => new AppError('not_found', `No user found with id '${id.slice(0, 64)}'.`, { param: 'id' });

/** Builds the admin service. */
export function createAdminService(deps: { db: Pool; clock: Clock; audit: AuditLog; apiKeys: ApiKeyService; tiers: readonly string[] }): AdminService {
  const { db, clock, audit } = deps;
  const monthStart = () => utcMonthStart(clock.now());
  const mustFind = async (id: string) => {
    const user = UUID.test(id) ? await findAdminUser(db, id, monthStart()) : null;
    if (!user) throw notFound(id);
    return user;
  };

  return {
    monthStart,
    async listUsers(q) {
      let after: { created_at: Date; id: string } | null = null;
      if (q.after !== null) {
        after = UUID.test(q.after) ? await findAdminUser(db, q.after, monthStart()) : null;
        if (!after) return null;
      }
      const text = q.query?.trim() || null;
      const rows = await searchUsers(db, {
        monthStart: monthStart(),
        pattern: text === null ? null : `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
        id: text !== null && UUID.test(text) ? text : null,
        limit: q.limit + 1,
        after,
      });
      return { users: rows.slice(0, q.limit), hasMore: rows.length > q.limit };
    },
    getUser: (id) => (UUID.test(id) ? findAdminUser(db, id, monthStart()) : Promise.resolve(null)),
    async disable(actor, userId) {
      if (actor.userId !== null && actor.userId === userId) throw new AppError('invalid_request', 'You cannot disable your own account.', { param: 'id' });
      await mustFind(userId);
      await disableUser(db, clock, userId, async (tx, r) => {
        if (!r.changed && r.revokedKeys.length === 0) return;
        await audit.record({
          action: 'user.disabled', actorUserId: actor.userId, subjectUserId: userId, clientIp: actor.clientIp,
          details: { via: actor.via, revoked_key_prefixes: r.revokedKeys.map((k) => k.prefix) },
        }, tx);
      });
      // The database already refuses them everywhere; this drops them from this replica's cache too.
      deps.apiKeys.forgetUser(userId);
      return mustFind(userId);
    },
    async enable(actor, userId) {
      await mustFind(userId);
      await enableUser(db, userId, async (tx, changed) => {
        if (changed) await audit.record({ action: 'user.enabled', actorUserId: actor.userId, subjectUserId: userId, clientIp: actor.clientIp, details: { via: actor.via } }, tx);
      });
      return mustFind(userId);
    },
    async setLimits(actor, userId, body) {
      const change = parseLimitsChange(body, deps.tiers);
      if (!UUID.test(userId)) throw notFound(userId);
      const found = await setUserLimits(db, userId, (current) => ({
        tier: change.tier ?? current.tier, limit_overrides: change.overrides ?? current.limit_overrides,
      }), (tx, before, after) => audit.record({
        action: 'user.limits_changed', actorUserId: actor.userId, subjectUserId: userId, clientIp: actor.clientIp,
        details: { via: actor.via, tier: after.tier, previous_tier: before.tier, overrides: after.limit_overrides, previous_overrides: before.limit_overrides },
      }, tx));
      if (!found) throw notFound(userId);
      // Other replicas hear of it from Postgres; this one forgets what it knew of the user now.
      deps.apiKeys.forgetUser(userId);
      return mustFind(userId);
    },
  };
}
