import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { adminWithKey, auditRows, failAuditWrites, sender } from '../../support/admin-helpers.ts';

describe('admin: tier and limit overrides', () => {
  let t: TestApp;
  let send: ReturnType<typeof sender>;
  let admin: { userId: string; key: string };
  let userId: string;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ RATE_LIMIT_TIERS: JSON.stringify({ pro: { rpm: 600 }, team: { daily_tokens: 1000 } }) });
    send = sender(t);
    admin = await adminWithKey(t);
    userId = (await t.app.services.users.createUser({ email: 'limited@example.com' })).id;
  });
  afterEach(() => t.close());

  const setLimits = (body: unknown, id = userId) => send('POST', `/v1/admin/users/${id}/limits`, { key: admin.key }, body);
  const stored = async () => (await testDatabase().admin.query('select tier, limit_overrides from users where id = $1', [userId])).rows[0];

  it('sets a configured tier and overrides, replaces overrides, and clears them with {}', async () => {
    const res = await setLimits({ tier: 'pro', overrides: { rpm: 5, tpm: 1, concurrency: 0, daily_tokens: null, monthly_tokens: 0 } });
    expect(res.status).to.equal(200);
    const body = await res.json();
    expect(body).to.include({ id: userId, tier: 'pro' });
    expect(body.limit_overrides).to.deep.equal({ rpm: 5, tpm: 1, concurrency: 0, daily_tokens: null, monthly_tokens: 0 });
    expect(await stored()).to.deep.equal({ tier: 'pro', limit_overrides: { rpm: 5, tpm: 1, concurrency: 0, daily_tokens: null, monthly_tokens: 0 } });

    expect((await setLimits({ overrides: { tpm: 100 } })).status).to.equal(200);
    expect(await stored()).to.deep.equal({ tier: 'pro', limit_overrides: { tpm: 100 } });
    expect((await setLimits({ tier: 'default' })).status).to.equal(200);
    expect(await stored()).to.deep.equal({ tier: 'default', limit_overrides: { tpm: 100 } });
    expect((await setLimits({ overrides: {} })).status).to.equal(200);
    expect(await stored()).to.deep.equal({ tier: 'default', limit_overrides: {} });
  });

  it('records each change with the tier and override values before and after', async () => {
    await setLimits({ tier: 'team', overrides: { rpm: 7, daily_tokens: null } });
    const [row] = await auditRows('user.limits_changed');
    expect(row).to.include({ actor_user_id: admin.userId, subject_user_id: userId, client_ip: '127.0.0.1' });
    expect(row!.details).to.deep.equal({
      via: 'api', tier: 'team', previous_tier: 'default', overrides: { rpm: 7, daily_tokens: null }, previous_overrides: {},
    });
  });

  it('refuses bad input with a 400 naming the field, and changes nothing', async () => {
    await setLimits({ tier: 'pro', overrides: { rpm: 9 } });
    const before = await stored();
    const audited = (await auditRows()).length;
    const cases: Array<[unknown, string | null]> = [
      [{}, 'tier'],
      [{ tier: 'gold' }, 'tier'],
      [{ tier: 5 }, 'tier'],
      [{ tier: null }, 'tier'],
      [{ tier: 'pro', extra: 1 }, 'extra'],
      [{ overrides: null }, 'overrides'],
      [{ overrides: [] }, 'overrides'],
      [{ overrides: 'rpm=5' }, 'overrides'],
      [{ overrides: { bogus: 1 } }, 'overrides.bogus'],
      [{ overrides: { rpm: 0 } }, 'overrides.rpm'],
      [{ overrides: { tpm: 0 } }, 'overrides.tpm'],
      [{ overrides: { concurrency: -1 } }, 'overrides.concurrency'],
      [{ overrides: { daily_tokens: 1.5 } }, 'overrides.daily_tokens'],
      [{ overrides: { monthly_tokens: '100' } }, 'overrides.monthly_tokens'],
      [{ overrides: { rpm: 2 ** 60 } }, 'overrides.rpm'],
      [{ tier: 'default', overrides: { rpm: 5, tpm: -2 } }, 'overrides.tpm'],
    ];
    for (const [body, param] of cases) {
      const res = await setLimits(body);
      expect(res.status, JSON.stringify(body)).to.equal(400);
      const err = (await res.json()).error;
      expect(err, JSON.stringify(body)).to.include({ type: 'invalid_request_error', code: 'invalid_request', param });
    }
    for (const notAnObject of ['{"tier":', '[]', '"pro"']) expect((await setLimits(notAnObject)).status, notAnObject).to.equal(400);
    expect(await stored()).to.deep.equal(before);
    expect(await auditRows()).to.have.length(audited);
  });

  it('answers 404 for an unknown user and 500 without a change when the audit row cannot be written', async () => {
    expect((await setLimits({ tier: 'pro' }, '00000000-0000-4000-8000-000000000000')).status).to.equal(404);
    const restore = await failAuditWrites();
    try {
      expect((await setLimits({ tier: 'pro' })).status).to.equal(500);
    } finally {
      await restore();
    }
    expect(await stored()).to.deep.equal({ tier: 'default', limit_overrides: {} });
  });
});
