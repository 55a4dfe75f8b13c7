// The audit log: security events and admin actions, metadata only (who, whom, when, from
// which address, and identifiers such as a key's prefix or the limits an admin set) — never
// prompts, typed emails or passwords, tokens, cookies or OAuth codes. Admin actions write
// their row in the same transaction as the change, so a change without its record cannot
// happen; sign-in and self-service events are best effort, so a failing audit write never
// locks people out.
import type { Pool, Queryable } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { describeError, type Logger } from '../log.ts';
import { insertAuditEvent, listAuditEvents, findAuditCursor, allowAuditDeletion, deleteAuditEventsBefore, type AuditEventRow } from './queries.ts';

/** Every action the log records. */
export const AUDIT_ACTIONS = [
  'sign_in.succeeded', 'sign_in.failed',
  'api_key.created', 'api_key.revoked',
  'passkey.added', 'passkey.removed',
  'account.created', 'account.deleted',
  'user.disabled', 'user.enabled', 'user.limits_changed',
] as const;
export type AuditAction = typeof AUDIT_ACTIONS[number];

/** Metadata only: identifiers, method names, reason codes, limit values. */
export type AuditDetails = Readonly<Record<string, string | number | boolean | null | readonly string[] | Readonly<Record<string, number | null>>>>;

export interface AuditEvent {
  readonly action: AuditAction;
  readonly actorUserId: string | null;
  readonly subjectUserId: string | null;
  readonly clientIp: string | null;
  readonly details?: AuditDetails;
}

export interface AuditPage {
  readonly events: AuditEventRow[];
  readonly hasMore: boolean;
}

export interface AuditLog {
  /** writes the event (inside `tx` when given); throws when it cannot be written */
  record(event: AuditEvent, tx?: Queryable): Promise<void>;
  /** writes the event; a failure is logged as a warning and swallowed */
  recordBestEffort(event: AuditEvent): Promise<void>;
  /** newest first; `after` is the id of the last event of the previous page (null when it does not exist) */
  list(q: { limit: number; after: string | null; subjectUserId: string | null; action: AuditAction | null }): Promise<AuditPage | null>;
  /** deletes events older than the retention period; returns how many went */
  sweep(): Promise<number>;
}

const SWEEP_BATCH = 5000;

/** Builds the audit log over the pool. */
export function createAuditLog(deps: { db: Pool; clock: Clock; logger: Logger; retentionDays: number }): AuditLog {
  const { db, clock, logger } = deps;
  const record = (e: AuditEvent, tx?: Queryable) => insertAuditEvent(tx ?? db, {
    occurredAt: clock.now(), action: e.action, actorUserId: e.actorUserId, subjectUserId: e.subjectUserId,
    clientIp: e.clientIp, details: e.details ?? {},
  });
  return {
    record,
    async recordBestEffort(e) {
      try {
        await record(e);
      } catch (err) {
        logger.warn({ event: 'audit.write_failed', action: e.action, user_id: e.subjectUserId, err: describeError(err) });
      }
    },
    async list(q) {
      let after: { id: string; occurred_at: Date } | null = null;
      if (q.after !== null) {
        after = await findAuditCursor(db, q.after);
        if (!after) return null;
      }
      const rows = await listAuditEvents(db, { limit: q.limit + 1, after, subjectUserId: q.subjectUserId, action: q.action });
      return { events: rows.slice(0, q.limit), hasMore: rows.length > q.limit };
    },
    async sweep() {
      const cutoff = new Date(clock.now().getTime() - deps.retentionDays * 86_400_000);
      let total = 0;
      // Batches in short transactions, so a large backlog never holds locks for long.
      for (;;) {
        const n = await withTransaction(db, async (tx) => {
          await allowAuditDeletion(tx);
          return deleteAuditEventsBefore(tx, cutoff, SWEEP_BATCH);
        });
        total += n;
        if (n < SWEEP_BATCH) return total;
      }
    },
  };
}
