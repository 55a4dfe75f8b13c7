import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { softAuthenticator, type SoftAuthenticator } from '../../support/soft-authenticator.ts';
import { setSessionCookie } from '../../support/session-helpers.ts';

const ORIGIN = 'http://localhost:8080';

describe('passkeys', () => {
  let t: TestApp;
  let authn: SoftAuthenticator;
  beforeEach(async () => {
    await resetDatabase();
    t = await startTestApp({ PUBLIC_URL: ORIGIN });
    authn = softAuthenticator();
  });
  afterEach(() => t.close());

  const post = (path: string, body: unknown, cookie?: string) => t.request(path, {
    method: 'POST', body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...(cookie ? { cookie } : {}) },
  });

  async function signUp(displayName = 'Ada'): Promise<{ cookie: string; userId: string }> {
    const options = await (await post('/v1/auth/passkey/register/options', { display_name: displayName })).json();
    expect(options.authenticatorSelection).to.include({ residentKey: 'required', userVerification: 'required' });
    expect(options.rp.id).to.equal('localhost');
    const res = await post('/v1/auth/passkey/register/verify', { response: authn.register(options, ORIGIN) });
    expect(res.status).to.equal(200);
    const cookie = setSessionCookie(res);
    expect(cookie).to.be.a('string');
    return { cookie: cookie!, userId: (await res.json()).user_id };
  }

  async function signIn(cookie?: string, overrides?: { userVerified?: boolean }): Promise<Response> {
    const options = await (await post('/v1/auth/passkey/login/options', {}, cookie)).json();
    expect(options.userVerification).to.equal('required');
    return post('/v1/auth/passkey/login/verify', { response: authn.authenticate(options, ORIGIN, overrides) }, cookie);
  }

  it('signs up passkey-first, then signs in usernameless with the same passkey', async () => {
    const { cookie, userId } = await signUp();
    const me = await (await t.request('/v1/users/me', { headers: { cookie } })).json();
    expect(me).to.include({ id: userId, display_name: 'Ada', email: null });
    const res = await signIn();
    expect(res.status).to.equal(200);
    expect((await res.json()).user_id).to.equal(userId);
    const again = setSessionCookie(res)!;
    expect((await t.request('/v1/users/me', { headers: { cookie: again } })).status).to.equal(200);
    const rows = (await testDatabase().admin.query('select counter, transports, backed_up from passkeys')).rows;
    expect(rows).to.deep.equal([{ counter: '1', transports: ['internal'], backed_up: false }]);
  });

  it('rotates the session at sign-in: the cookie the browser arrived with is revoked', async () => {
    const { cookie } = await signUp();
    const res = await signIn(cookie);
    const fresh = setSessionCookie(res)!;
    expect(fresh).to.not.equal(cookie);
    expect((await t.request('/v1/users/me', { headers: { cookie } })).status).to.equal(401);
    expect((await t.request('/v1/users/me', { headers: { cookie: fresh } })).status).to.equal(200);
  });

  it('sets a fresh session even when the browser presents a planted cookie (no fixation)', async () => {
    await signUp();
    const planted = `cloister_session=${'B'.repeat(43)}`;
    const res = await signIn(planted);
    expect(setSessionCookie(res)).to.not.equal(planted);
  });

  it('uses a challenge once: a replayed sign-in response is refused', async () => {
    await signUp();
    const options = await (await post('/v1/auth/passkey/login/options', {})).json();
    const response = authn.authenticate(options, ORIGIN);
    expect((await post('/v1/auth/passkey/login/verify', { response })).status).to.equal(200);
    const replay = await post('/v1/auth/passkey/login/verify', { response });
    expect(replay.status).to.equal(400);
    expect(setSessionCookie(replay)).to.equal(null);
  });

  it('refuses an expired challenge', async () => {
    await signUp();
    const options = await (await post('/v1/auth/passkey/login/options', {})).json();
    t.clock.advance(6 * 60_000);
    expect((await post('/v1/auth/passkey/login/verify', { response: authn.authenticate(options, ORIGIN) })).status).to.equal(400);
  });

  it('requires user verification', async () => {
    await signUp();
    expect((await signIn(undefined, { userVerified: false })).status).to.equal(400);
    const options = await (await post('/v1/auth/passkey/register/options', {})).json();
    const res = await post('/v1/auth/passkey/register/verify', { response: authn.register(options, ORIGIN, { userVerified: false }) });
    expect(res.status).to.equal(400);
  });

  it('refuses a response made for another origin', async () => {
    await signUp();
    const options = await (await post('/v1/auth/passkey/login/options', {})).json();
    expect((await post('/v1/auth/passkey/login/verify', { response: authn.authenticate(options, 'https://evil.example') })).status).to.equal(400);
  });

  it('lets a signed-in user add, list, rename and delete passkeys', async () => {
    const { cookie } = await signUp();
    const options = await (await post('/v1/users/me/passkeys/options', {}, cookie)).json();
    expect(options.excludeCredentials).to.have.length(1);
    const added = await post('/v1/users/me/passkeys', { response: authn.register(options, ORIGIN) }, cookie);
    expect(added.status).to.equal(201);
    const list = await (await t.request('/v1/users/me/passkeys', { headers: { cookie } })).json();
    expect(list.data).to.have.length(2);
    const id = list.data[1].id as string;
    const renamed = await t.request(`/v1/users/me/passkeys/${id}`, { method: 'PATCH', headers: { cookie, origin: ORIGIN, 'content-type': 'application/json' }, body: '{"name":"laptop"}' });
    expect(renamed.status).to.equal(200);
    const del = await t.request(`/v1/users/me/passkeys/${id}`, { method: 'DELETE', headers: { cookie, origin: ORIGIN } });
    expect(del.status).to.equal(200);
    expect((await (await t.request('/v1/users/me/passkeys', { headers: { cookie } })).json()).data).to.have.length(1);
  });

  it('cannot delete or rename another user\'s passkey', async () => {
    await signUp('A');
    const victimId = (await (await t.request('/v1/users/me/passkeys', { headers: { cookie: (await signUp('B')).cookie } })).json()).data[0].id;
    const attacker = softAuthenticator();
    authn = attacker;
    const { cookie } = await signUp('C');
    const del = await t.request(`/v1/users/me/passkeys/${victimId}`, { method: 'DELETE', headers: { cookie, origin: ORIGIN } });
    expect(del.status).to.equal(404);
  });

  it('never logs WebAuthn payloads or the session cookie', async () => {
    const options = await (await post('/v1/auth/passkey/register/options', {})).json();
    const response = authn.register(options, ORIGIN) as { response: { clientDataJSON: string; attestationObject: string } };
    const res = await post('/v1/auth/passkey/register/verify', { response });
    const cookie = setSessionCookie(res)!;
    await t.request('/v1/users/me', { headers: { cookie } });
    for (const secret of [options.challenge as string, response.response.clientDataJSON, response.response.attestationObject, cookie.split('=')[1]!]) {
      expect(t.logs.contains(secret)).to.equal(false);
    }
  });
});
