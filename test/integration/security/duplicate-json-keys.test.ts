// Finding 9 (duplicate JSON keys): Cloister reads a body with JSON.parse (the last of repeated
// keys wins) and forwards its bytes, which an upstream parser may read otherwise (the first
// wins). Every JSON body that repeats a key in any object, at any depth, is refused with 400
// before anything reaches upstream or the database.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { dumpAllTables } from '../../support/privacy.ts';

describe('security: duplicate JSON keys (finding 9)', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let key: string;
  let conversation: string;
  let completion: string;

  const send = (method: string, path: string, raw: string | Uint8Array<ArrayBuffer>) =>
    t.request(path, { key, method, headers: { 'content-type': 'application/json' }, body: raw });

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1` });
    key = (await t.userWithKey('dup@example.com')).key;
    conversation = (await (await send('POST', '/v1/conversations', '{}')).json()).id;
    completion = (await (await send('POST', '/v1/chat/completions', '{"model":"fake-model","store":true,"messages":[{"role":"user","content":"x"}]}')).json()).id;
  });
  after(async () => { await t.close(); await fake.close(); });

  // Each body means one thing to a last-wins parser and another to a first-wins parser.
  const cases = (): Array<[string, string, string]> => [
    ['POST', '/v1/chat/completions', '{"model":"fake-model","messages":[{"role":"user","content":"x"}],"model":"other"}'],
    ['POST', '/v1/chat/completions', '{"model":"fake-model","messages":[{"role":"assistant","audio":{"id":"audio_A"},"audio":null},{"role":"user","content":"x"}]}'],
    ['POST', '/v1/responses', '{"model":"fake-model","input":"x","previous_response_id":"resp_A","previous_response_id":null}'],
    ['POST', '/v1/responses', '{"model":"fake-model","input":[{"type":"item_reference","id":"msg_A","type":"message","role":"user","content":"x"}]}'],
    ['POST', '/v1/responses', '{"model":"fake-model","input":"x","tools":[{"type":"code_interpreter","container":"cntr_A","container":{"type":"auto"}}]}'],
    ['POST', '/v1/responses', '{"model":"fake-model","input":"x","\\u0073tore":false,"store":true}'],
    ['POST', '/v1/embeddings', '{"model":"fake-model","input":"x","input":["y"]}'],
    ['POST', '/v1/conversations', '{"items":[{"id":"msg_A","id":null,"type":"message","role":"user","content":"x"}]}'],
    ['POST', `/v1/conversations/${conversation}`, '{"metadata":{"a":"1","a":"2"}}'],
    ['POST', `/v1/conversations/${conversation}/items`, '{"items":[{"type":"message","role":"user","content":"x"}],"items":[{"id":"msg_A"}]}'],
    ['POST', `/v1/chat/completions/${completion}`, '{"metadata":{"k":"v"},"metadata":null}'],
    ['POST', '/v1/users/me/api-keys', '{"name":"one","name":"two"}'],
  ];

  /** Every row, once the usage counts of earlier requests (batched in memory) are written. */
  const databaseNow = async () => {
    expect((await t.request('/v1/users/me/usage', { key })).status).to.equal(200);
    return dumpAllTables();
  };

  it('refuses a repeated key at the top level or nested, on every route that reads a body, forwarding and writing nothing', async () => {
    const before = await databaseNow();
    fake.reset();
    for (const [method, path, raw] of cases()) {
      const res = await send(method, path, raw);
      expect(res.status, `${path} ${raw}`).to.equal(400);
      const { error } = await res.json();
      expect(error, raw).to.include({ code: 'invalid_json', type: 'invalid_request_error' });
      expect(error.message, raw).to.match(/repeats a key/);
    }
    expect(fake.requests, 'reached upstream').to.have.length(0);
    expect(await databaseNow()).to.equal(before);
  });

  it('forwards the same bodies byte for byte once each key appears once', async () => {
    fake.reset();
    const raw = '{"model":"fake-model" , "input":"x","metadata":{"a":"1","b":{"a":"1"}}}';
    const res = await send('POST', '/v1/responses', raw);
    expect(res.status).to.equal(200);
    expect(fake.requests.map((r) => r.body.toString('utf8'))).to.deep.equal([raw]);
  });

  it('refuses bytes that are not UTF-8, which two decoders could read as different keys', async () => {
    fake.reset();
    const raw = new Uint8Array(Buffer.concat([Buffer.from('{"model":"fake-model","input":"x","i'), Buffer.from([0xff]), Buffer.from('d":"msg_A"}')]));
    const res = await send('POST', '/v1/responses', raw);
    expect(res.status).to.equal(400);
    expect((await res.json()).error.message).to.match(/UTF-8/);
    expect(fake.requests).to.have.length(0);
  });
});
