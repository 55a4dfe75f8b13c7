// GET /v1/config and the body limit's 413, which the web app's attachment limits line up with
// (issue 23): the client learns the default model and the attachment limits without
// credentials, and a request over BODY_LIMIT_BYTES is refused in words naming both limits,
// with nothing sent upstream.
import { expect } from 'chai';
import { appPerTest } from '../../support/app-per-test.ts';

describe('client config and the body limit', () => {
  const suite = appPerTest();
  const { start } = suite;

  it('answers anyone, without credentials, with the default model and the attachment limits, and nothing secret', async () => {
    await start({ ALLOWED_MODELS: 'fake-model,org/fake-model-2', DEFAULT_MODEL: 'org/fake-model-2', OPENAI_API_KEY: 'sk-upstream-secret-value' });
    const res = await suite.t.request('/v1/config');
    expect(res.status).to.equal(200);
    const text = await res.text();
    expect(JSON.parse(text)).to.deep.equal({
      object: 'cloister.config',
      default_model: 'org/fake-model-2',
      attachments: { max_bytes: 10485760, text_max_bytes: 1048576, image_types: ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] },
    });
    expect(text).to.not.contain('sk-upstream-secret-value').and.not.contain(suite.fake.url);
    expect(suite.fake.requests).to.have.length(0);
  });

  it('says null when no default model is configured, and the ATTACHMENT_MAX_BYTES the operator chose', async () => {
    await start({ ATTACHMENT_MAX_BYTES: '2097152' });
    const body = await (await suite.t.request('/v1/config')).json();
    expect(body.default_model).to.equal(null);
    expect(body.attachments.max_bytes).to.equal(2097152);
  });

  it('the first allowed model is the default when DEFAULT_MODEL is unset', async () => {
    await start({ ALLOWED_MODELS: 'fake-model,org/fake-model-2' });
    expect((await (await suite.t.request('/v1/config')).json()).default_model).to.equal('fake-model');
  });

  it('a maximal attachment as a data URL fits the default body limit and reaches upstream byte for byte', async () => {
    await start({});
    const { key } = await suite.t.userWithKey();
    const image = Buffer.alloc(10 * 1024 * 1024, 7);
    const body = JSON.stringify({
      model: 'fake-model',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'what is this?' }, { type: 'input_image', image_url: `data:image/png;base64,${image.toString('base64')}` }] }],
    });
    const res = await suite.t.request('/v1/responses', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).to.equal(200);
    expect(suite.fake.requests.at(-1)!.body.equals(Buffer.from(body))).to.equal(true);
  });

  it('refuses a body over BODY_LIMIT_BYTES with 413 payload_too_large naming both limits in MB, sending nothing upstream', async () => {
    await start({ BODY_LIMIT_BYTES: String(4 * 1024 * 1024), ATTACHMENT_MAX_BYTES: String(2 * 1024 * 1024) });
    const { key } = await suite.t.userWithKey();
    const body = JSON.stringify({ model: 'fake-model', input: 'x'.repeat(5 * 1024 * 1024) });
    for (const path of ['/v1/responses', '/v1/conversations']) {
      const res = await suite.t.request(path, { key, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status, path).to.equal(413);
      expect(await res.json(), path).to.deep.equal({
        error: {
          message: 'The request is too large: this server accepts at most 4 MB per request, and each attachment may be at most 2 MB.',
          type: 'invalid_request_error', param: null, code: 'payload_too_large',
        },
      });
    }
    expect(suite.fake.requests).to.have.length(0);
  });

  it('ATTACHMENT_MAX_BYTES=0 turns attachments off: /v1/config says 0 and the 413 says so', async () => {
    await start({ BODY_LIMIT_BYTES: '4096', ATTACHMENT_MAX_BYTES: '0' });
    expect((await (await suite.t.request('/v1/config')).json()).attachments.max_bytes).to.equal(0);
    const { key } = await suite.t.userWithKey();
    const res = await suite.t.request('/v1/responses', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fake-model', input: 'x'.repeat(8192) }) });
    expect(res.status).to.equal(413);
    expect((await res.json()).error.message).to.equal('The request is too large: this server accepts at most 4 KB per request, and attachments are not accepted.');
  });
});
