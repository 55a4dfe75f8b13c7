// SQL for the audit log: one function per statement. The table is append-only (a trigger
// refuses UPDATE, and DELETE outside the retention sweep's transaction).
import type { Queryable } from '../db/pool.ts';
import { query } from '../db/pool.ts';

export interface AuditEventRow {
  id: string;
  occurred_at: Date;
  action: string;
  actor_user_id: string | null;
  subject_user_id: string | null;
  client_ip: string | null;
  details: Record<string, unknown>;
}

/** The columns of an AuditEventRow, as selected (tests read stored rows with it too). */
export const AUDIT_EVENT_COLUMNS = 'id::text as id, occurred_at, action, actor_user_id, subject_user_id, client_ip, details';

/** Appends one event. */
export async function insertAuditEvent(db: Queryable, e: {
  occurredAt: Date; action: string; actorUserId: string | null; subjectUserId: string | null; clientIp: string | null; details: Record<string, unknown>;
}): Promise<void> {
  await query(db,
    `insert into audit_events (occurred_at, action, actor_user_id, subject_user_id, client_ip, details)
     values ($1, $2, $3, $4, $5, $6)`,
    [e.occurredAt, e.action, e.actorUserId, e.subjectUserId, e.clientIp, JSON.stringify(e.details)]);
}

/** The event with this id (a page cursor), or null. */
export async function findAuditCursor(db: Queryable, id: string): Promise<{ id: string; occurred_at: Date } | null> {
  const res = await query<{ id: string; occurred_at: Date }>(db, 'select id::text as id, occurred_at from audit_events where id = $1', [id]);
  return res.rows[0] ?? null;
}

/** One page of events, newest first, after a cursor and optionally for one subject and one action. */
export async function listAuditEvents(db: Queryable, q: {
  limit: number; after: { id: string; occurred_at: Date } | null; subjectUserId: string | null; action: string | null;
}): Promise<AuditEventRow[]> {
  const res = await query<AuditEventRow>(db,
    `select ${AUDIT_EVENT_COLUMNS} from audit_events
      where ($2::timestamptz is null or (occurred_at, id) < ($2::timestamptz, $3::bigint))
        and ($4::uuid is null or subject_user_id = $4)
        and ($5::text is null or action = $5)
      order by occurred_at desc, id desc
      limit $1`,
    [q.limit, q.after?.occurred_at ?? null, q.after?.id ?? null, q.subjectUserId, q.action]);
  return res.rows;
}

/** Allows deletion for the rest of the current transaction (the trigger checks this setting). */
export async function allowAuditDeletion(tx: Queryable): Promise<void> {
  await query(tx, "set local cloister.audit_retention = 'on'");
}

/** Deletes up to `batch` events older than `cutoff`; returns how many went. Needs allowAuditDeletion first. */
export async function deleteAuditEventsBefore(tx: Queryable, cutoff: Date, batch: number): Promise<number> {
  const res = await query(tx,
    `delete from audit_events where id in (
       select id from audit_events where occurred_at < $1 order by occurred_at limit $2)`,
    [cutoff, batch]);
  return res.rowCount ?? 0;
}
