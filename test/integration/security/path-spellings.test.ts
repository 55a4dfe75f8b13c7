// Finding (issue 18.1): routes matched case-insensitively while guards compared paths
// case-sensitively, so `/V1/ADMIN/users` answered 200 to anyone. The rule now: every path has
// one spelling. This table tries every registered route in every other spelling (case,
// doubled and trailing slashes, dot segments, escapes, backslashes) with the strongest
// credential there is (an admin's key), and requires the 404 of an unknown URL, nothing
// forwarded upstream and nothing written to the database.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase, testDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { adminWithKey } from '../../support/admin-helpers.ts';
import { rawRequest, tableCounts } from '../../support/raw-request.ts';
import { isCanonicalPath } from '../../../src/http/canonical-path.ts';

/** A concrete path for a route pattern. */
function concrete(pattern: string, userId: string): string {
  return pattern.replace(/:id\b/g, pattern.startsWith('/v1/admin') ? userId : 'resp_abc123').replace(/:[A-Za-z_]+/g, 'abc_123');
}

/** Every other spelling of a path: none of them is that path. */
export function spellingsOf(path: string): string[] {
  const segments = path.split('/').slice(1);
  const out = new Set<string>([
    path.toUpperCase(),
    path.replace(/\/([a-z])/g, (_m, c: string) => `/${c.toUpperCase()}`),
    `${path}/`,
    `/${path}`,
    path.replace(/\//g, '\\'),
    `${path}%5C`,
  ]);
  for (let i = 1; i <= segments.length; i++) {
    const head = `/${segments.slice(0, i).join('/')}`;
    const tail = segments.slice(i).join('/');
    const rest = tail ? `/${tail}` : '';
    out.add(`${head}/${rest}`); // doubled slash
    out.add(`${head}/.${rest}`);
    out.add(`${head}/x/..${rest}`);
    out.add(`${head}/%2e${rest}`);
    out.add(`${head}/%2E%2E${rest}`);
    out.add(`${head}\\${rest.slice(1)}`);
  }
  segments.forEach((segment, i) => {
    const at = /[a-z]/.exec(segment);
    if (!at) return;
    const c = segment[at.index]!;
    const escape = (hex: string) => `/${[...segments.slice(0, i), segment.slice(0, at.index) + hex + segment.slice(at.index + 1), ...segments.slice(i + 1)].join('/')}`;
    out.add(escape(`%${c.charCodeAt(0).toString(16).toUpperCase()}`));
    out.add(escape(`%${c.charCodeAt(0).toString(16).toLowerCase()}`));
  });
  out.delete(path);
  return [...out];
}

describe('security: one spelling per path (admin-path-case and every other route)', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let admin: { userId: string; key: string };

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1` });
    fake.reset(); // forget the model list Cloister fetched at start: count only what the spellings cause
    admin = await adminWithKey(t);
  });
  after(async () => { await t.close(); await fake.close(); });

  it('knows the spellings it refuses and the canonical ones it keeps', () => {
    for (const ok of ['/', '/v1/models', '/v1/models/org%2Fmodel', '/v1/models/ft%3Agpt', '/assets/app-1.js']) expect(isCanonicalPath(ok), ok).to.equal(true);
    for (const bad of ['', 'v1', '//v1', '/v1/', '/v1//models', '/v1/./models', '/v1/../v1', '/v1/%2e/x', '/v1/%2E%2E/x', '/v1/%6Dodels', '/v1/models/ft%3agpt',
      '/v1/m%', '/v1/m%4', '/v1/%C0%AF', '/v1\\models', '/v1/a%5Cb', '/v1/a%00b', '/v1/a%0Ab']) {
      expect(isCanonicalPath(bad), bad).to.equal(false);
    }
  });

  it('answers every other spelling of every registered route with 404, forwarding and writing nothing, even for an admin', async () => {
    const routes = t.app.routes();
    expect(routes.length).to.be.greaterThan(40);
    const before = await tableCounts(testDatabase().admin);
    let tried = 0;
    for (const { method, path: pattern } of routes) {
      const path = concrete(pattern, admin.userId);
      for (const spelling of spellingsOf(path)) {
        const res = await rawRequest(t.server.port, method, spelling, {
          headers: { authorization: `Bearer ${admin.key}`, 'content-type': 'application/json', accept: 'application/json' },
          body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
        });
        if (!spelling.startsWith('/')) {
          // Not a request target at all: Node's parser refuses it before any of our code runs.
          expect(res.status, `${method} ${spelling}`).to.equal(400);
        } else {
          expect(res.status, `${method} ${spelling}`).to.equal(404);
          expect(JSON.parse(res.body).error.code, `${method} ${spelling}`).to.equal('not_found');
        }
        tried++;
      }
    }
    expect(tried).to.be.greaterThan(1000);
    expect(fake.requests, 'nothing reached upstream').to.have.length(0);
    expect(await tableCounts(testDatabase().admin)).to.deep.equal(before);
  });

  it('hides the admin surface from an anonymous caller in any case: GET and POST, nothing changed', async () => {
    const target = await t.userWithKey('target@example.com');
    for (const [method, path] of [
      ['GET', '/V1/ADMIN/users'], ['GET', '/v1/Admin/audit'], ['GET', '/v1/ADMIN/usage'], ['GET', `/V1/ADMIN/users/${target.userId}`],
      ['POST', `/V1/ADMIN/users/${target.userId}/disable`], ['GET', '/v1/admin/users'], ['POST', `/v1/admin/users/${target.userId}/disable`],
    ] as const) {
      const res = await rawRequest(t.server.port, method, path, { headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
      expect(res.status, `${method} ${path}`).to.equal(404);
      expect(res.body, `${method} ${path}`).not.to.contain('@example.com');
    }
    const row = await testDatabase().admin.query('select disabled_at from users where id = $1', [target.userId]);
    expect(row.rows[0].disabled_at).to.equal(null);
  });

  it('serves the model id the official SDK sends encoded (org%2Fmodel), and no raw-slash twin', async () => {
    const user = await t.userWithKey();
    const encoded = await rawRequest(t.server.port, 'GET', '/v1/models/org%2Ffake-model-2', { headers: { authorization: `Bearer ${user.key}` } });
    expect(encoded.status).to.equal(200);
    expect(fake.requests.at(-1)!.path).to.equal('/v1/models/org/fake-model-2');
    const raw = await rawRequest(t.server.port, 'GET', '/v1/models/org/fake-model-2', { headers: { authorization: `Bearer ${user.key}` } });
    expect(raw.status).to.equal(404);
    const dots = await rawRequest(t.server.port, 'GET', '/v1/models/org%2F..%2Fx', { headers: { authorization: `Bearer ${user.key}` } });
    expect(dots.status).to.equal(404);
    expect(fake.requests).to.have.length(1);
  });
});
