// Streaming and failure behaviour: byte-faithful bodies, client disconnect aborts upstream,
// mid-stream reset becomes one SSE error event, heartbeats while upstream is silent, upstream
// errors translated, and the completed-exchange hashes match the bytes the client got.
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { FIREHOSE_BYTES, startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { waitFor } from '../../support/log-capture.ts';
import type { CompletedExchange } from '../../../src/shared/exchanges.ts';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('proxy: streaming and failures', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let key: string;
  const exchanges: CompletedExchange[] = [];

  const post = (path: string, body: string | object, init: RequestInit = {}) => t.request(path, {
    key, method: 'POST', ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1`, STREAM_HEARTBEAT_MS: '40', BODY_LIMIT_BYTES: '4096', ATTACHMENT_MAX_BYTES: '0' });
    t.app.services.exchanges.subscribe((e) => { exchanges.push(e); }, { hashes: true });
    key = (await t.userWithKey()).key;
  });
  after(async () => { await t.close(); await fake.close(); });
  beforeEach(() => { fake.reset(); exchanges.length = 0; });

  it('forwards the request body byte for byte', async () => {
    const raw = '{"model":"fake-model",  "messages":[{"role":"user","content":"caf\\u00e9 ☕"}],\n"stream":false, "zzz":1}';
    const res = await post('/v1/chat/completions', raw);
    expect(res.status).to.equal(200);
    expect(fake.requests.at(-1)!.body.toString('utf8')).to.equal(raw);
    expect(res.headers.get('content-type'), 'upstream\'s own, without a charset added').to.equal('application/json');
  });

  it('relays SSE, and the exchange hashes are of the request bytes and every byte the client received', async () => {
    const raw = JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: 'hash me' }] });
    const res = await post('/v1/chat/completions', raw);
    expect(res.headers.get('content-type')).to.contain('text/event-stream');
    expect(res.headers.get('x-accel-buffering')).to.equal('no');
    const received = new Uint8Array(await res.arrayBuffer());
    expect(new TextDecoder().decode(received)).to.contain('data: [DONE]');
    expect(exchanges).to.have.length(1);
    expect(exchanges[0]).to.include({ kind: 'chat.completion', requestSha256: sha(raw), responseSha256: sha(received), streamed: true, completed: true });
    expect(exchanges[0]!.objectId).to.match(/^chatcmpl_/);
  });

  it('keeps ids and usage right when upstream cuts events (and characters) across chunks', async () => {
    const content = 'héllo wörld ☕ 🌍 again and again';
    const res = await post('/v1/chat/completions', { model: 'fragmented', stream: true, store: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content }] });
    expect(res.status).to.equal(200);
    const received = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(received).split('\n\n').filter((e) => e.startsWith('data: {'))
      .map((e) => JSON.parse(e.slice(6)) as { choices: Array<{ delta?: { content?: string } }> })
      .map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).to.equal(`Hello from the fake upstream. You said: ${content}`);
    expect(exchanges).to.have.length(1);
    const e = exchanges[0]!;
    expect(e.objectId).to.match(/^chatcmpl_/);
    expect(e.usage).to.deep.equal({ inputTokens: 11, outputTokens: 7 });
    expect(e.responseSha256).to.equal(sha(received));
    expect((await t.request(`/v1/chat/completions/${e.objectId}`, { key })).status, 'ownership was recorded').to.equal(200);
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    const ac = new AbortController();
    const res = await post('/v1/chat/completions', { model: 'stall', stream: true, messages: [{ role: 'user', content: 'x' }] }, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read(); // first chunk arrived, upstream now stalls
    const upstreamRequest = fake.requests.at(-1)!;
    ac.abort();
    const closed = await Promise.race([upstreamRequest.clientClosed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 1000))]);
    expect(closed).to.equal('closed');
  });

  it('holds upstream back while the client does not read, instead of buffering the stream', async () => {
    const raw = JSON.stringify({ model: 'firehose', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const res = await post('/v1/chat/completions', raw);
    expect(res.status).to.equal(200);
    // The client reads nothing: upstream must end up waiting for its connection to drain...
    await waitFor(() => fake.firehose.waiting, 10_000);
    // ...and stay waiting. Unpaused, Cloister would take the rest (48 MB) into its own memory in a
    // few tens of milliseconds; this wait can only let a regression pass, never fail a correct relay.
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.firehose.waiting, 'still held back').to.equal(true);
    expect(fake.firehose.done).to.equal(false);
    expect(fake.firehose.sent).to.be.below(FIREHOSE_BYTES);
    const received = new Uint8Array(await res.arrayBuffer());
    expect(fake.firehose.done).to.equal(true);
    expect(received.length).to.be.above(FIREHOSE_BYTES);
    expect(new TextDecoder().decode(received.subarray(received.length - 14))).to.equal('data: [DONE]\n\n');
    expect(exchanges).to.have.length(1);
    expect(exchanges[0]).to.include({ responseSha256: sha(received), responseBytes: received.length, completed: true });
  });

  it('turns an upstream reset mid-stream into one final SSE error event', async () => {
    const res = await post('/v1/chat/completions', { model: 'reset', stream: true, messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).to.equal(200);
    const text = await res.text();
    const errors = text.split('\n\n').filter((f) => f.startsWith('event: error'));
    expect(errors).to.have.length(1);
    const data = JSON.parse(errors[0]!.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
    expect(data.error).to.include({ code: 'upstream_error', type: 'server_error' });
    expect(text.trimEnd().endsWith(errors[0]!.trimEnd())).to.equal(true);
  });

  it('sends ": ping" comments while upstream is silent, between whole events', async () => {
    fake.silentMs = 200;
    const pending = post('/v1/chat/completions', { model: 'silent-first', stream: true, messages: [{ role: 'user', content: 'x' }] });
    // Upstream has the request and is silent: the heartbeat's clock moves past STREAM_HEARTBEAT_MS.
    await waitFor(() => fake.requests.length === 1);
    t.clock.advance(40);
    const res = await pending;
    const text = await res.text();
    expect(text.startsWith(': ping\n\n')).to.equal(true);
    expect(text).to.contain('data: [DONE]');
    for (const frame of text.split('\n\n').filter(Boolean)) expect(frame === ': ping' || frame.startsWith('data: '), frame).to.equal(true);
  });

  it('passes upstream 429 through with retry-after and its OpenAI error body', async () => {
    const res = await post('/v1/chat/completions', { model: 'error-429', messages: [] });
    expect(res.status).to.equal(429);
    expect(res.headers.get('retry-after')).to.equal('7');
    expect((await res.json()).error.code).to.equal('rate_limit_exceeded');
  });

  it('turns an upstream 500 into a generic 502 without its body', async () => {
    const res = await post('/v1/chat/completions', { model: 'error-500', messages: [] });
    expect(res.status).to.equal(502);
    const text = await res.text();
    expect(text).to.not.contain('stack trace');
    expect(JSON.parse(text).error.code).to.equal('upstream_error');
  });

  it('answers malformed JSON with 400 and an oversized body with 413, forwarding nothing', async () => {
    expect((await post('/v1/chat/completions', '{"model":')).status).to.equal(400);
    expect((await post('/v1/chat/completions', { model: 'x', pad: 'y'.repeat(5000) })).status).to.equal(413);
    expect((await post('/v1/chat/completions', { model: 'x', stream: 'yes' })).status).to.equal(400);
    expect(fake.requests).to.have.length(0);
  });

  it('answers 502 when upstream refuses the connection and 504 when it never answers', async () => {
    const mute = net.createServer(() => { /* accept, never answer */ });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const down = await startTestApp({ OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' });
    const slow = await startTestApp({ OPENAI_BASE_URL: `http://127.0.0.1:${(mute.address() as net.AddressInfo).port}/v1`, UPSTREAM_FIRST_BYTE_TIMEOUT_MS: '200' });
    try {
      const k = (await down.userWithKey()).key;
      const refused = await down.request('/v1/models', { key: k });
      expect(refused.status).to.equal(502);
      expect((await refused.json()).error.code).to.equal('upstream_error');
      const timedOut = await slow.request('/v1/models', { key: k });
      expect(timedOut.status).to.equal(504);
      expect((await timedOut.json()).error.code).to.equal('upstream_timeout');
    } finally {
      await down.close();
      await slow.close();
      mute.close();
    }
  });

  it('answers 503 upstream_not_configured when OPENAI_BASE_URL is unset', async () => {
    const bare = await startTestApp({});
    try {
      const k = (await bare.userWithKey()).key;
      const res = await bare.request('/v1/chat/completions', { key: k, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).to.equal(503);
      expect((await res.json()).error.code).to.equal('upstream_not_configured');
      expect((await bare.request('/v1/conversations', { key: k })).status, 'own listing works without upstream').to.equal(200);
    } finally {
      await bare.close();
    }
  });

  it('does not forward client credentials, cookies or x-forwarded-* headers', async () => {
    await new Promise<void>((resolve, reject) => {
      const u = new URL(`${t.url}/v1/models`);
      http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { authorization: `Bearer ${key}`, cookie: 'cloister_session=abc', 'x-forwarded-for': '1.2.3.4', 'openai-beta': 'assistants=v2' } }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    });
    const h = fake.requests.at(-1)!.headers;
    expect(h.cookie).to.equal(undefined);
    expect(h['x-forwarded-for']).to.equal(undefined);
    expect(h.authorization, 'no server key configured here, and the client key never goes').to.equal(undefined);
    expect(h['openai-beta']).to.equal('assistants=v2');
  });
});
