import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { LIMIT_FIELDS } from '../../../src/shared/tier-limits.ts';
import { AUDIT_ACTIONS } from '../../../src/audit/audit-log.ts';

describe('admin routes in the OpenAPI document', () => {
  let t: TestApp;
  before(async () => {
    await resetDatabase();
    t = await startTestApp();
  });
  after(() => t.close());

  it('describes admin-only auth, the limits body, the query parameters and the audit actions as the code has them', async () => {
    const doc = await (await t.request('/openapi.json')).json();
    const admin = Object.entries(doc.paths as Record<string, Record<string, { security: unknown; description?: string }>>)
      .filter(([path]) => path.startsWith('/v1/admin/')).flatMap(([, ops]) => Object.values(ops));
    expect(admin).to.have.length(7);
    for (const o of admin) {
      expect(o.security).to.deep.equal([{ bearer: [] }, { session: [] }]);
      expect(o.description).to.contain('Admins only');
    }
    const limits = doc.paths['/v1/admin/users/{id}/limits'].post;
    const declared = t.app.routes().find((r) => r.path === '/v1/admin/users/:id/limits')!;
    expect(limits.requestBody.content['application/json'].schema).to.deep.equal(JSON.parse(JSON.stringify((declared.body as { json: unknown }).json)));
    expect(Object.keys(limits.requestBody.content['application/json'].schema.properties.overrides.properties)).to.deep.equal(Object.keys(LIMIT_FIELDS));
    const audit = doc.paths['/v1/admin/audit'].get.parameters as Array<{ name: string; in: string; schema: { enum?: string[] } }>;
    expect(audit.map((p) => `${p.in}:${p.name}`)).to.deep.equal(['query:after', 'query:limit', 'query:user', 'query:action']);
    expect(audit.find((p) => p.name === 'action')!.schema.enum).to.deep.equal([...AUDIT_ACTIONS]);
    expect(doc.paths['/v1/admin/users/{id}'].get.parameters[0]).to.include({ name: 'id', in: 'path' });
  });
});
