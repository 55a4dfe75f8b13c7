import { expect } from 'chai';
import pg from 'pg';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { adminWithKey, auditRows, sender } from '../../support/admin-helpers.ts';
import type { AuditEvent } from '../../../src/audit/audit-log.ts';

const DAY = 86_400_000;
const event = (action: AuditEvent['action'], subjectUserId: string | null = null): AuditEvent => ({ action, actorUserId: null, subjectUserId, clientIp: '192.0.2.1', details: { via: 'cli' } });

describe('audit log: storage, retention and the admin listing', () => {
  let t: TestApp;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ AUDIT_RETENTION_DAYS: '30' });
  });
  afterEach(() => t.close());

  it('is append-only: UPDATE and a plain DELETE raise, and the rows stay', async () => {
    await t.app.services.audit.record(event('user.enabled'));
    const { admin } = testDatabase();
    for (const sql of ["update audit_events set action = 'user.disabled'", 'delete from audit_events', 'update audit_events set details = \'{}\'']) {
      let error: (Error & { code?: string }) | null = null;
      await admin.query(sql).catch((e: Error) => { error = e; });
      expect(error, sql).to.not.equal(null);
      expect(error!.message).to.contain('append-only');
    }
    const client = new pg.Client({ connectionString: testDatabase().url });
    await client.connect();
    try {
      // The retention setting lasts for its own transaction only.
      await client.query('begin');
      await client.query("set local cloister.audit_retention = 'on'");
      await client.query('rollback');
      await client.query('delete from audit_events').then(() => expect.fail('deleted outside the sweep'), (e: Error) => expect(e.message).to.contain('append-only'));
    } finally {
      await client.end();
    }
    expect(await auditRows()).to.have.length(1);
  });

  // These two work a year after the app started, so the sweep it ran at start-up (whose cutoff
  // is a month before its own start) cannot touch their rows, however late it runs.
  it('the sweep deletes only events older than AUDIT_RETENTION_DAYS', async () => {
    const now = t.clock.now().getTime() + 365 * DAY;
    const at = async (ms: number, action: AuditEvent['action']) => {
      t.clock.set(new Date(ms));
      await t.app.services.audit.record(event(action));
    };
    await at(now - 45 * DAY, 'user.disabled');
    await at(now - 30 * DAY - 1000, 'user.enabled');
    await at(now - 30 * DAY + 1000, 'sign_in.failed');
    await at(now - DAY, 'api_key.created');
    t.clock.set(new Date(now));
    expect(await t.app.services.audit.sweep()).to.equal(2);
    expect((await auditRows()).map((r) => r.action)).to.deep.equal(['sign_in.failed', 'api_key.created']);
    expect(await t.app.services.audit.sweep()).to.equal(0);
  });

  it('sweeps at start-up', async () => {
    const old = new Date(t.clock.now().getTime() + 365 * DAY - 31 * DAY);
    t.clock.set(old);
    await t.app.services.audit.record(event('user.disabled'));
    t.clock.set(new Date(old.getTime() + 31 * DAY));
    await t.app.services.audit.record(event('user.enabled'));
    // Closing waits for the start-up sweep in progress, so its effect is visible afterwards.
    const other = await startTestApp({ AUDIT_RETENTION_DAYS: '30' }, { clock: t.clock });
    await other.close();
    expect((await auditRows()).map((r) => r.action)).to.deep.equal(['user.enabled']);
  });

  it('pages newest first and filters by subject and action for admins', async () => {
    const admin = await adminWithKey(t);
    const send = sender(t);
    const subject = (await t.app.services.users.createUser({ email: 's@example.com' })).id;
    for (let i = 0; i < 5; i++) {
      t.clock.advance(1000);
      await t.app.services.audit.record(event(i % 2 === 0 ? 'user.disabled' : 'user.enabled', i < 3 ? subject : null));
    }
    const get = async (q: string) => {
      const res = await send('GET', `/v1/admin/audit${q}`, { key: admin.key });
      return { status: res.status, body: await res.json() };
    };
    const all = (await get('')).body;
    expect(all).to.include({ object: 'list', has_more: false });
    expect(all.data).to.have.length(5);
    expect(all.data[0]).to.include({ object: 'audit_event', action: 'user.disabled', subject_user_id: null, actor_user_id: null, client_ip: '192.0.2.1' });
    expect(all.data[0].details).to.deep.equal({ via: 'cli' });
    expect(all.data.map((e: { occurred_at: number }) => e.occurred_at)).to.deep.equal([...all.data.map((e: { occurred_at: number }) => e.occurred_at)].sort().reverse());

    const first = (await get('?limit=2')).body;
    expect(first).to.include({ has_more: true, first_id: all.data[0].id, last_id: all.data[1].id });
    const rest = (await get(`?limit=10&after=${first.last_id}`)).body;
    expect(rest.data.map((e: { id: string }) => e.id)).to.deep.equal(all.data.slice(2).map((e: { id: string }) => e.id));

    expect((await get(`?user=${subject}`)).body.data).to.have.length(3);
    expect((await get(`?user=${subject}&action=user.enabled`)).body.data).to.have.length(1);
    expect((await get('?action=user.disabled')).body.data).to.have.length(3);

    for (const [q, param, status] of [['?action=user.deleted', 'action', 400], ['?user=bob', 'user', 400], ['?after=x', 'after', 400], ['?after=999999', 'after', 404], ['?limit=101', 'limit', 400]] as const) {
      const res = await get(q);
      expect(res.status, q).to.equal(status);
      expect(res.body.error.param, q).to.equal(param);
    }
  });
});
