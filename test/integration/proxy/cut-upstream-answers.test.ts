// Findings of the fault suite (issue 21): (1) a 2xx JSON answer that does not parse was passed
// on as 200 — its ids unseen by the ownership observer, its usage uncounted — and (2) a stream
// upstream ended inside an event ended for the client as if complete, with no `error` event.
// Now the first is a 502 upstream_error and the second ends with one `error` event.
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { CREATION_ROUTES, creationBody, startFaultUpstream, type FaultUpstream } from '../../fault/support/fault-upstream.ts';

describe('proxy: upstream answers cut or garbled after the headers', () => {
  let upstream: FaultUpstream;
  let t: TestApp;
  let key: string;

  before(async () => {
    await resetDatabase();
    upstream = await startFaultUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${upstream.url}/v1` });
    ({ key } = await t.userWithKey());
  });
  after(async () => { await t.close(); await upstream.close(); });

  const post = (path: string, model: string, stream: boolean) => t.request(path, {
    key, method: 'POST', headers: { 'content-type': 'application/json' },
    body: creationBody(path, model, stream),
  });

  for (const path of CREATION_ROUTES) {
    it(`${path}: a 200 JSON answer that does not parse is a 502, and none of its bytes reach the client`, async () => {
      const res = await post(path, 'fault:garbage:mid-body', false);
      expect(res.status).to.equal(502);
      const text = await res.text();
      expect(JSON.parse(text)).to.deep.equal({ error: { message: 'The model upstream failed to answer.', type: 'server_error', param: null, code: 'upstream_error' } });
    });

    it(`${path}: a stream upstream ends inside an event ends with one error event`, async () => {
      const res = await post(path, 'fault:garbage:mid-stream', true);
      expect(res.status).to.equal(200);
      const text = await res.text();
      expect(text.match(/^event: error$/gm)).to.have.length(1);
      expect(text.endsWith('"code":"upstream_error"}}\n\n')).to.equal(true);
    });
  }

  it('a stream that ends at an event boundary still ends as it did (no error event)', async () => {
    const res = await post('/v1/chat/completions', 'ok', true);
    const text = await res.text();
    expect(text).not.to.contain('event: error');
    expect(text.endsWith('data: [DONE]\n\n')).to.equal(true);
  });
});
