// Two users: every route that takes an id, and both body fields, exercised by B on A's
// objects -> 404 with the same body as an unknown id, and nothing reaches upstream.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';

describe('proxy: only the owner reaches an object', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let a: string;
  let b: string;
  const objects = { conversation: '', response: '', completion: '', item: '' };

  const call = (key: string, method: string, path: string, body?: unknown) =>
    t.request(path, { key, method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1` });
    a = (await t.userWithKey('alice@example.com')).key;
    b = (await t.userWithKey('bob@example.com')).key;
    objects.conversation = (await (await call(a, 'POST', '/v1/conversations', { items: [{ type: 'message', role: 'user', content: 'x' }] })).json()).id;
    objects.response = (await (await call(a, 'POST', '/v1/responses', { model: 'fake-model', input: 'x' })).json()).id;
    objects.completion = (await (await call(a, 'POST', '/v1/chat/completions', { model: 'fake-model', store: true, messages: [{ role: 'user', content: 'x' }] })).json()).id;
    objects.item = (await (await call(a, 'GET', `/v1/conversations/${objects.conversation}/items`)).json()).data[0].id;
  });
  after(async () => { await t.close(); await fake.close(); });

  const cases = (): Array<[string, string, unknown?]> => [
    ['GET', `/v1/conversations/${objects.conversation}`],
    ['POST', `/v1/conversations/${objects.conversation}`, { metadata: { x: 'y' } }],
    ['DELETE', `/v1/conversations/${objects.conversation}`],
    ['GET', `/v1/conversations/${objects.conversation}/items`],
    ['POST', `/v1/conversations/${objects.conversation}/items`, { items: [{ type: 'message', role: 'user', content: 'sneak' }] }],
    ['GET', `/v1/conversations/${objects.conversation}/items/${objects.item}`],
    ['DELETE', `/v1/conversations/${objects.conversation}/items/${objects.item}`],
    ['GET', `/v1/responses/${objects.response}`],
    ['GET', `/v1/responses/${objects.response}?stream=true&starting_after=0`],
    ['DELETE', `/v1/responses/${objects.response}`],
    ['POST', `/v1/responses/${objects.response}/cancel`],
    ['GET', `/v1/responses/${objects.response}/input_items`],
    ['GET', `/v1/chat/completions/${objects.completion}`],
    ['POST', `/v1/chat/completions/${objects.completion}`, { metadata: { x: 'y' } }],
    ['DELETE', `/v1/chat/completions/${objects.completion}`],
    ['GET', `/v1/chat/completions/${objects.completion}/messages`],
    ['POST', '/v1/responses', { model: 'fake-model', input: 'x', conversation: objects.conversation }],
    ['POST', '/v1/responses', { model: 'fake-model', input: 'x', conversation: { id: objects.conversation } }],
    ['POST', '/v1/responses', { model: 'fake-model', input: 'x', previous_response_id: objects.response }],
    ['GET', `/v1/conversations?after=${objects.conversation}`],
  ];

  it('answers every id route and body field with 404 for another user, forwarding nothing', async () => {
    for (const [method, path, body] of cases()) {
      fake.reset();
      const res = await call(b, method, path, body);
      expect(res.status, `${method} ${path}`).to.equal(404);
      const err = (await res.json()).error;
      expect(err.code, `${method} ${path}`).to.equal('not_found');
      expect(fake.requests, `${method} ${path} reached upstream`).to.have.length(0);
    }
  });

  it('answers "not yours" exactly like "does not exist"', async () => {
    const foreign = await (await call(b, 'GET', `/v1/conversations/${objects.conversation}`)).json();
    const missing = await (await call(b, 'GET', '/v1/conversations/conv_doesnotexist0000')).json();
    expect(foreign.error.message.replace(objects.conversation, 'ID')).to.equal(missing.error.message.replace('conv_doesnotexist0000', 'ID'));
    expect({ ...foreign.error, message: '' }).to.deep.equal({ ...missing.error, message: '' });
  });

  it('still serves the owner afterwards (nothing was deleted by the attempts)', async () => {
    for (const path of [`/v1/conversations/${objects.conversation}`, `/v1/responses/${objects.response}`, `/v1/chat/completions/${objects.completion}`]) {
      expect((await call(a, 'GET', path)).status, path).to.equal(200);
    }
  });

  it('never lists another user\'s conversations', async () => {
    const list = await (await call(b, 'GET', '/v1/conversations')).json();
    expect(list.data).to.deep.equal([]);
  });

  it('refuses upstream list endpoints and unlisted routes without forwarding', async () => {
    fake.reset();
    for (const [method, path] of [['GET', '/v1/chat/completions'], ['GET', '/v1/files'], ['GET', '/v1/responses'], ['POST', '/v1/files'], ['GET', '/v1/batches'], ['GET', '/v1/vector_stores']]) {
      const res = await call(a, method!, path!);
      expect(res.status, `${method} ${path}`).to.be.oneOf([404, 405]);
    }
    expect(fake.requests).to.have.length(0);
  });

  it('rejects path-traversal and encoded ids without forwarding', async () => {
    fake.reset();
    for (const path of ['/v1/conversations/..', '/v1/conversations/%2e%2e', '/v1/conversations/a%2fb', '/v1/conversations/a%5cb', '/v1/responses/..%2f..%2fmodels', '/v1/conversations/' + 'x'.repeat(129), '/v1/models/..%2fchat', '/v1/conversations/conv%00x']) {
      const res = await call(a, 'GET', path);
      expect(res.status, path).to.be.oneOf([400, 404]);
    }
    expect(fake.requests).to.have.length(0);
  });

  it('answers references to objects the caller does not own with 404 and refuses kinds no owner is recorded for with 400, naming the field', async () => {
    fake.reset();
    const bodies: Array<[unknown, number, string]> = [
      [{ model: 'fake-model', input: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }, { type: 'input_file', file_id: 'file-123' }] }] }, 404, 'input[0].content[1].file_id'],
      [{ model: 'fake-model', input: [{ role: 'user', content: 'x' }, { type: 'item_reference', id: 'msg_someone_elses' }] }, 404, 'input[1].id'],
      [{ model: 'fake-model', input: 'x', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }, 400, 'tools[0].vector_store_ids[0]'],
    ];
    for (const [body, status, param] of bodies) {
      const res = await call(a, 'POST', '/v1/responses', body);
      expect(res.status, param).to.equal(status);
      const { error } = await res.json();
      expect(error.type).to.equal('invalid_request_error');
      expect(error.param).to.equal(param);
    }
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = [deep];
    const nested = await call(a, 'POST', '/v1/chat/completions', { model: 'fake-model', messages: [{ role: 'user', content: 'x' }], deep });
    expect(nested.status).to.equal(400);
    expect((await nested.json()).error.message).to.match(/nested too deeply/);
    expect(fake.requests).to.have.length(0);
  });
});
