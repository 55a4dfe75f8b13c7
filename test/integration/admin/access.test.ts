import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { sessionCookieFor } from '../../support/session-helpers.ts';
import { adminWithKey, sender } from '../../support/admin-helpers.ts';

const ORIGIN = 'http://localhost:8080';

/** The parts of a response a caller can compare, without the per-request id and date. */
async function visible(res: Response) {
  const headers = [...res.headers.keys()].filter((h) => h !== 'x-request-id' && h !== 'date' && h !== 'content-length').sort();
  return { status: res.status, headers, contentType: res.headers.get('content-type'), body: await res.json() };
}

const unknownUrl = (method: string, path: string) => ({
  error: { message: `Unknown request URL: ${method} ${path}`, type: 'invalid_request_error', param: null, code: 'not_found' },
});

describe('admin routes: hidden from everyone but admins', () => {
  let t: TestApp;
  let send: ReturnType<typeof sender>;
  let admin: { userId: string; key: string };
  let user: { userId: string; key: string };
  let userCookie: string;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN });
    send = sender(t, ORIGIN);
    admin = await adminWithKey(t);
    user = await t.userWithKey('plain@example.com');
    userCookie = await sessionCookieFor(t, user.userId);
  });
  afterEach(() => t.close());

  it('answers anonymous callers, bad credentials and non-admins exactly like an unknown URL', async () => {
    const callers: Array<[string, { key?: string; cookie?: string }, Record<string, string>]> = [
      ['anonymous', {}, {}],
      ['wrong key', { key: `ck_${'a'.repeat(12)}_${'B'.repeat(43)}` }, {}],
      ['malformed authorization', {}, { authorization: 'Basic Zm9vOmJhcg==' }],
      ['non-admin key', { key: user.key }, {}],
      ['non-admin session', { cookie: userCookie }, {}],
    ];
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/admin/users'],
      ['GET', `/v1/admin/users/${admin.userId}`],
      ['POST', `/v1/admin/users/${admin.userId}/disable`],
      ['POST', `/v1/admin/users/${user.userId}/limits`, { tier: 'default' }],
      ['GET', '/v1/admin/usage'],
      ['GET', '/v1/admin/audit'],
      ['DELETE', '/v1/admin/users'], // a wrong method must not reveal the path with a 405
      ['GET', '/v1/admin'],
      ['GET', '/v1/admin/nothing-here'],
    ];
    for (const [who, auth, headers] of callers) {
      for (const [method, path, body] of routes) {
        const reference = await visible(await send(method, '/v1/no-such-area', auth, body, headers));
        expect(reference.status).to.equal(404);
        const got = await visible(await send(method, path, auth, body, headers));
        expect(got, `${who} ${method} ${path}`).to.deep.equal({ ...reference, body: unknownUrl(method, path) });
      }
    }
    // And nothing happened.
    const rows = (await testDatabase().admin.query('select disabled_at from users where id = $1', [admin.userId])).rows;
    expect(rows[0].disabled_at).to.equal(null);
  });

  it('serves admins, and answers them too a wrong method or an unknown path under /v1/admin as an unknown URL', async () => {
    expect((await send('GET', '/v1/admin/users', { key: admin.key })).status).to.equal(200);
    const session = await sessionCookieFor(t, admin.userId);
    expect((await send('GET', '/v1/admin/audit', { cookie: session })).status).to.equal(200);
    // The admin router answers no 405 or OPTIONS of its own, so the surface cannot be probed
    // with another method: an admin gets the same 404 as anyone.
    const wrong = await send('DELETE', '/v1/admin/users', { key: admin.key });
    expect(wrong.status).to.equal(404);
    expect(await wrong.json()).to.deep.equal(unknownUrl('DELETE', '/v1/admin/users'));
    const unknown = await send('GET', '/v1/admin/nothing-here', { key: admin.key });
    expect(unknown.status).to.equal(404);
    expect(await unknown.json()).to.deep.equal(unknownUrl('GET', '/v1/admin/nothing-here'));
  });

  it('stops serving a user the moment their admin flag is gone', async () => {
    expect((await send('GET', '/v1/admin/users', { key: admin.key })).status).to.equal(200);
    await testDatabase().admin.query('update users set is_admin = false where id = $1', [admin.userId]);
    expect((await send('GET', '/v1/admin/users', { key: admin.key })).status).to.equal(404);
  });

  it('applies the CSRF check to cookie-authenticated admin changes', async () => {
    const session = await sessionCookieFor(t, admin.userId);
    const crossSite = await t.request(`/v1/admin/users/${user.userId}/disable`, { method: 'POST', headers: { cookie: session, origin: 'https://evil.example' } });
    expect(crossSite.status).to.equal(403);
    expect((await crossSite.json()).error.code).to.equal('csrf_rejected');
    const noOrigin = await t.request(`/v1/admin/users/${user.userId}/disable`, { method: 'POST', headers: { cookie: session } });
    expect(noOrigin.status).to.equal(403);
    expect((await testDatabase().admin.query('select disabled_at from users where id = $1', [user.userId])).rows[0].disabled_at).to.equal(null);
    const sameOrigin = await send('POST', `/v1/admin/users/${user.userId}/disable`, { cookie: session });
    expect(sameOrigin.status).to.equal(200);
    expect((await sameOrigin.json()).disabled).to.equal(true);
  });
});
