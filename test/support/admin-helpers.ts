// Helpers for administration and audit tests: admin accounts, audit rows as stored, and a
// switch that makes every audit write fail (to prove which actions depend on it).
import { AUDIT_EVENT_COLUMNS, type AuditEventRow } from '../../src/audit/queries.ts';
import { testDatabase } from './test-database.ts';
import type { TestApp } from './test-app.ts';

/** Creates an admin user and an API key for it. */
export async function adminWithKey(t: TestApp, email = 'admin@example.com'): Promise<{ userId: string; key: string; email: string }> {
  const user = await t.app.services.users.createUser({ email, admin: true, emailVerified: true });
  const { key } = await t.app.services.apiKeys.create(user.id, 'admin');
  return { userId: user.id, key, email };
}

/** Every audit row, oldest first (optionally of one action). */
export async function auditRows(action?: string): Promise<AuditEventRow[]> {
  const res = await testDatabase().admin.query<AuditEventRow>(
    `select ${AUDIT_EVENT_COLUMNS} from audit_events
      where $1::text is null or action = $1 order by id`, [action ?? null]);
  return res.rows;
}

/** Makes every insert into audit_events fail until the returned function runs. */
export async function failAuditWrites(): Promise<() => Promise<void>> {
  const { admin } = testDatabase();
  await admin.query(`create or replace function test_refuse_audit() returns trigger language plpgsql as $$
    begin raise exception 'audit store unavailable' using errcode = 'P0001'; end $$`);
  await admin.query('create trigger test_refuse_audit before insert on audit_events for each row execute function test_refuse_audit()');
  return async () => {
    await admin.query('drop trigger if exists test_refuse_audit on audit_events');
    await admin.query('drop function if exists test_refuse_audit()');
  };
}

/** A JSON request helper with an API key or a cookie (and the origin the CSRF check wants). */
export function sender(t: TestApp, origin = 'http://localhost:8080') {
  return (method: string, path: string, auth: { key?: string; cookie?: string } = {}, body?: unknown, headers: Record<string, string> = {}) => t.request(path, {
    method,
    key: auth.key,
    headers: {
      ...(auth.cookie ? { cookie: auth.cookie, origin } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}
