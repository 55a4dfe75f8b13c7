// Finding 2 (High): references to other users' upstream objects through the body. Under one
// shared upstream key, `{"input":[{"id":"msg_A"}]}` let user B make upstream act on user A's
// item. Every field of a body that can name an upstream object is now either checked against
// its recorded owner (404 naming the field, like any id that is not yours) or refused (400
// naming the field), before anything reaches upstream or the database; while a user's own
// items, passed back as the SDK's multi-turn pattern does, go through byte for byte.
import { expect } from 'chai';
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { startTestApp, type TestApp } from '../../support/test-app.ts';
import { resetDatabase } from '../../support/test-database.ts';
import { startFakeUpstream, type FakeUpstream } from '../../support/fake-upstream.ts';
import { dumpAllTables } from '../../support/privacy.ts';

type Json = Record<string, unknown>;

describe('security: references in request bodies (finding 2)', () => {
  let fake: FakeUpstream;
  let t: TestApp;
  let a: { key: string; client: OpenAI; sent: string[] };
  let b: { key: string; client: OpenAI; sent: string[] };
  /** A's own conversation, and B's */
  let conversationA: string;
  let conversationB: string;

  const call = (key: string, method: string, path: string, body?: unknown) =>
    t.request(path, { key, method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  /** An SDK client that remembers the exact bytes of every body it sent. */
  const user = async (email: string) => {
    const { key } = await t.userWithKey(email);
    const sent: string[] = [];
    const client = new OpenAI({
      baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0,
      fetch: (url, init) => {
        if (typeof init?.body === 'string') sent.push(init.body);
        return fetch(url, init);
      },
    });
    return { key, client, sent };
  };

  /** The body upstream received last, as text. */
  const lastUpstreamBody = () => fake.requests.at(-1)!.body.toString('utf8');

  /** Every row, once the usage counts of earlier requests (batched in memory) are written. */
  const databaseNow = async () => {
    expect((await call(a.key, 'GET', '/v1/users/me/usage')).status).to.equal(200);
    return dumpAllTables();
  };

  /** Asserts `send` is answered `status` naming `param`, with nothing sent upstream and nothing written to the database. */
  const expectRefused = async (send: () => Promise<Response>, status: number, param: string, label: string) => {
    const before = await databaseNow();
    fake.reset();
    const res = await send();
    const body = await res.json() as { error: { param: string; code: string; type: string } };
    expect(res.status, `${label}: ${JSON.stringify(body)}`).to.equal(status);
    expect(body.error.param, label).to.equal(param);
    expect(body.error.type, label).to.equal('invalid_request_error');
    expect(body.error.code, label).to.equal(status === 404 ? 'not_found' : 'invalid_request');
    expect(fake.requests, `${label}: reached upstream`).to.have.length(0);
    expect(await databaseNow(), `${label}: wrote to the database`).to.equal(before);
  };

  before(async () => {
    await resetDatabase();
    fake = await startFakeUpstream();
    t = await startTestApp({ OPENAI_BASE_URL: `${fake.url}/v1` });
    a = await user('alice-refs@example.com');
    b = await user('bob-refs@example.com');
    conversationA = (await a.client.conversations.create({})).id;
    conversationB = (await b.client.conversations.create({})).id;
  });
  after(async () => { await t.close(); await fake.close(); });

  describe('every spelling of a reference Cloister cannot vouch for', () => {
    const message = { role: 'user', content: 'hello' };
    const responses = (extra: Json): Json => ({ model: 'fake-model', input: 'x', ...extra });
    /** [label, body of POST /v1/responses, status, param] */
    const responseCases: Array<[string, Json, number, string]> = [
      ['bare {id}', { model: 'fake-model', input: [message, { id: 'msg_unknown1' }] }, 404, 'input[1].id'],
      ['{id, type: null}', { model: 'fake-model', input: [message, { id: 'msg_unknown1', type: null }] }, 404, 'input[1].id'],
      ['type item_reference', { model: 'fake-model', input: [message, { type: 'item_reference', id: 'msg_unknown1' }] }, 404, 'input[1].id'],
      ['a message with an id', { model: 'fake-model', input: [{ ...message, id: 'msg_unknown1' }] }, 404, 'input[0].id'],
      ['a reasoning item by id', { model: 'fake-model', input: [{ type: 'reasoning', id: 'rs_unknown1', summary: [] }, message] }, 404, 'input[0].id'],
      ['approval_request_id', { model: 'fake-model', input: [{ type: 'mcp_approval_response', approval_request_id: 'mcpr_unknown1', approve: true }] }, 404, 'input[0].approval_request_id'],
      ['a container id', responses({ tools: [{ type: 'code_interpreter', container: 'cntr_unknown1' }] }), 404, 'tools[0].container'],
      ['container files', responses({ tools: [{ type: 'code_interpreter', container: { type: 'auto', file_ids: ['file-unknown1'] } }] }), 404, 'tools[0].container.file_ids[0]'],
      ['a shell container reference', responses({ tools: [{ type: 'shell', environment: { type: 'container_reference', container_id: 'cntr_unknown1' } }] }), 404, 'tools[0].environment.container_id'],
      ['an input_file file_id', { model: 'fake-model', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-unknown1' }] }] }, 404, 'input[0].content[0].file_id'],
      ['an input_image file_id', { model: 'fake-model', input: [{ role: 'user', content: [{ type: 'input_image', detail: 'auto', file_id: 'file-unknown1' }] }] }, 404, 'input[0].content[0].file_id'],
      ['an image mask file_id', responses({ tools: [{ type: 'image_generation', input_image_mask: { file_id: 'file-unknown1' } }] }), 404, 'tools[0].input_image_mask.file_id'],
      ['vector stores', responses({ tools: [{ type: 'file_search', vector_store_ids: ['vs_unknown1'] }] }), 400, 'tools[0].vector_store_ids[0]'],
      ['a stored prompt id', { model: 'fake-model', prompt: { id: 'pmpt_unknown1', version: '2' } }, 400, 'prompt.id'],
      ['a stored skill', responses({ tools: [{ type: 'shell', environment: { type: 'container_auto', skills: [{ type: 'skill_reference', skill_id: 'skill_unknown1' }] } }] }), 400, 'tools[0].environment.skills[0].skill_id'],
      ['an MCP tunnel', responses({ tools: [{ type: 'mcp', server_label: 's', tunnel_id: 'tnl_1' }] }), 400, 'tools[0].tunnel_id'],
      ['a response id for cache comparison', responses({ prompt_cache_options: { comparison_response_id: 'resp_unknown1' } }), 404, 'prompt_cache_options.comparison_response_id'],
      ['an unknown item type with an id', { model: 'fake-model', input: [message, { type: 'future_call', id: 'fut_1', call_id: 'call_1' }] }, 400, 'input[1].id'],
      ['an unknown field holding an id', responses({ attachments: [{ upstream_id: 'x' }] }), 400, 'attachments[0].upstream_id'],
      ['another spelling of a field', responses({ Previous_Response_Id: 'resp_unknown1' }), 400, 'Previous_Response_Id'],
      ['nested: a file in a function call output', { model: 'fake-model', input: [{ type: 'function_call_output', call_id: 'call_1', output: [{ type: 'input_file', file_id: 'file-unknown1' }] }] }, 404, 'input[0].output[0].file_id'],
      ['nested: vector stores in tool search output', { model: 'fake-model', input: [{ type: 'tool_search_output', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] }] }, 400, 'input[0].tools[0].vector_store_ids[0]'],
      ['nested: a container file citation', {
        model: 'fake-model',
        input: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'x', annotations: [{ type: 'container_file_citation', container_id: 'cntr_unknown1', file_id: 'cfile_unknown1', filename: 'f', start_index: 0, end_index: 1 }] }] }],
      }, 404, 'input[0].content[0].annotations[0].container_id'],
      ['nested: a program caller', { model: 'fake-model', input: [{ type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}', caller: { type: 'program', caller_id: 'pg_unknown1' } }] }, 404, 'input[0].caller.caller_id'],
    ];
    for (const [label, body, status, param] of responseCases) {
      it(`POST /v1/responses: ${label} → ${status} naming ${param}, nothing upstream, nothing stored`, async () => {
        await expectRefused(() => call(a.key, 'POST', '/v1/responses', body), status, param, label);
      });
    }

    const chatCases: Array<[string, Json, number, string]> = [
      ['an earlier audio answer by id', { model: 'fake-model', messages: [message, { role: 'assistant', audio: { id: 'audio_unknown1' } }, message] }, 400, 'messages[1].audio.id'],
      ['a custom voice', { model: 'fake-model', messages: [message], modalities: ['text', 'audio'], audio: { format: 'wav', voice: { id: 'voice_unknown1' } } }, 400, 'audio.voice.id'],
      ['a file part', { model: 'fake-model', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-unknown1' } }] }] }, 404, 'messages[0].content[0].file.file_id'],
      ['an unknown field holding an id', { model: 'fake-model', messages: [message], store_in: { vector_store_id: 'vs_1' } }, 400, 'store_in.vector_store_id'],
    ];
    for (const [label, body, status, param] of chatCases) {
      it(`POST /v1/chat/completions: ${label} → ${status} naming ${param}, nothing upstream, nothing stored`, async () => {
        await expectRefused(() => call(a.key, 'POST', '/v1/chat/completions', body), status, param, label);
      });
    }

    it('POST /v1/embeddings: an unknown field holding an id → 400, nothing upstream, nothing stored', async () => {
      await expectRefused(() => call(a.key, 'POST', '/v1/embeddings', { model: 'fake-model', input: 'x', file_id: 'file-1' }), 400, 'file_id', 'embeddings');
    });

    const itemCases: Array<[string, Json, number, string]> = [
      ['bare {id}', { id: 'msg_unknown1' }, 404, 'items[0].id'],
      ['{id, type: null}', { id: 'msg_unknown1', type: null }, 404, 'items[0].id'],
      ['type item_reference', { type: 'item_reference', id: 'msg_unknown1' }, 404, 'items[0].id'],
      ['a reasoning item by id', { type: 'reasoning', id: 'rs_unknown1', summary: [] }, 404, 'items[0].id'],
      ['an unknown item type with an id', { type: 'future_call', id: 'fut_1' }, 400, 'items[0].id'],
      ['approval_request_id', { type: 'mcp_approval_response', approval_request_id: 'mcpr_unknown1', approve: false }, 404, 'items[0].approval_request_id'],
    ];
    for (const [label, item, status, param] of itemCases) {
      it(`POST /v1/conversations and /v1/conversations/{id}/items: ${label} → ${status} naming ${param}`, async () => {
        await expectRefused(() => call(a.key, 'POST', '/v1/conversations', { items: [item] }), status, param, `create: ${label}`);
        await expectRefused(() => call(a.key, 'POST', `/v1/conversations/${conversationA}/items`, { items: [item] }), status, param, `items: ${label}`);
      });
    }

    it('refuses a body naming more objects than any conversation holds, before any query', async () => {
      const input = Array.from({ length: 10_001 }, (_, i) => ({ id: `msg_${i}` }));
      const before = await databaseNow();
      fake.reset();
      const res = await call(a.key, 'POST', '/v1/responses', { model: 'fake-model', input });
      expect(res.status).to.equal(400);
      expect((await res.json()).error.message).to.match(/more than 10000 upstream objects/);
      expect(fake.requests).to.have.length(0);
      expect(await databaseNow()).to.equal(before);
    });

    it('metadata updates take metadata and nothing that could name an object', async () => {
      await expectRefused(() => call(a.key, 'POST', `/v1/conversations/${conversationA}`, { metadata: { k: 'v' }, conversation_id: 'conv_x' }), 400, 'conversation_id', 'conversation update');
      // A metadata map's own keys are the user's: never read as references.
      fake.reset();
      expect((await call(a.key, 'POST', `/v1/conversations/${conversationA}`, { metadata: { file_id: 'file-1', user_id: 'msg_1' } })).status).to.equal(200);
      expect(fake.requests).to.have.length(1);
    });
  });

  describe("a user's own items, passed back", () => {
    it('forwards the SDK multi-turn pattern byte for byte: messages and reasoning with encrypted content, not stored', async () => {
      const first = await a.client.responses.create({ model: 'fake-model', input: 'hi', reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'], store: false });
      expect(first.output.map((i) => i.type)).to.deep.equal(['reasoning', 'message']);
      fake.reset();
      const second = await a.client.responses.create({ model: 'fake-model', input: [...first.output as ResponseInputItem[], { role: 'user', content: 'and then?' }], store: false });
      expect(second.status).to.equal('completed');
      expect(fake.requests).to.have.length(1);
      expect(lastUpstreamBody()).to.equal(a.sent.at(-1));
      expect(JSON.parse(lastUpstreamBody()).input[0]).to.include({ type: 'reasoning', id: first.output[0]!.id, encrypted_content: 'gAAAAopaque' });
    });

    it('records a streamed response\'s items before its final event: a next turn sent on that event already goes through', async () => {
      // "linger": upstream sends every event, then holds the stream open, so nothing Cloister
      // would do at the stream's end has happened when the client sees response.completed.
      const stream = await a.client.responses.create({ model: 'linger', input: 'stream me', reasoning: { effort: 'low' }, stream: true });
      let next: Response | null = null;
      for await (const event of stream as AsyncIterable<ResponseStreamEvent>) {
        if (event.type !== 'response.completed') continue;
        const input = [...event.response.output, { role: 'user', content: 'go on' }];
        next = await call(a.key, 'POST', '/v1/responses', { model: 'fake-model', input });
        break; // leaves the lingering stream
      }
      expect(next!.status).to.equal(200);
      expect(JSON.parse(lastUpstreamBody()).input.map((i: Json) => i.type ?? 'message')).to.deep.equal(['reasoning', 'message', 'message']);
    });

    it("reuses the user's own code-interpreter container and passes back its file citations", async () => {
      const first = await a.client.responses.create({ model: 'fake-model', input: 'run code', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] });
      const call_ = first.output.find((i) => i.type === 'code_interpreter_call')!;
      const container = (call_ as { container_id: string }).container_id;
      fake.reset();
      const second = await a.client.responses.create({
        model: 'fake-model',
        input: [...first.output as ResponseInputItem[], { role: 'user', content: 'again' }],
        tools: [{ type: 'code_interpreter', container }],
      });
      expect(second.status).to.equal('completed');
      expect(lastUpstreamBody()).to.equal(a.sent.at(-1));
      // B may use neither the container nor the items naming it.
      await expectRefused(() => call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input: 'x', tools: [{ type: 'code_interpreter', container }] }), 404, 'tools[0].container', 'B: A\'s container');
      const message = first.output.find((i) => i.type === 'message')!;
      const { id: _ignored, ...withoutId } = message;
      await expectRefused(() => call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input: [withoutId] }), 404, 'input[0].content[0].annotations[0].container_id', 'B: A\'s file citation');
    });

    it('answers an MCP approval request of the user\'s own response', async () => {
      const first = await a.client.responses.create({ model: 'fake-model', input: 'look it up', tools: [{ type: 'mcp', server_label: 'docs', server_url: 'https://mcp.example/sse', require_approval: 'always' }] });
      const request = first.output.find((i) => i.type === 'mcp_approval_request')!;
      fake.reset();
      const second = await a.client.responses.create({
        model: 'fake-model', previous_response_id: first.id,
        input: [{ type: 'mcp_approval_response', approval_request_id: request.id, approve: true }],
        tools: [{ type: 'mcp', server_label: 'docs', server_url: 'https://mcp.example/sse', require_approval: 'always' }],
      });
      expect(second.status).to.equal('completed');
      expect(lastUpstreamBody()).to.equal(a.sent.at(-1));
      await expectRefused(() => call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input: [{ type: 'mcp_approval_response', approval_request_id: request.id, approve: true }] }), 404, 'input[0].approval_request_id', 'B approves A\'s request');
    });

    it('records the items listed from an owned conversation and an owned response\'s input items, and those added to a conversation', async () => {
      const conversation = await a.client.conversations.create({ items: [{ type: 'message', role: 'user', content: 'remember this' }] });
      const listed = await a.client.conversations.items.list(conversation.id);
      const remembered = listed.data[0]!.id;
      const added = await a.client.conversations.items.create(conversation.id, { items: [{ type: 'message', role: 'user', content: 'and this' }] });
      const addedId = added.data[0]!.id;
      const response = await a.client.responses.create({ model: 'fake-model', input: [{ role: 'user', content: 'first words' }] });
      const inputItem = (await a.client.responses.inputItems.list(response.id)).data[0]!.id;
      for (const id of [remembered, addedId, inputItem]) {
        fake.reset();
        expect((await call(a.key, 'POST', '/v1/responses', { model: 'fake-model', input: [{ type: 'item_reference', id }] })).status, id).to.equal(200);
        expect((await call(a.key, 'POST', `/v1/conversations/${conversationA}/items`, { items: [{ type: 'item_reference', id }] })).status, id).to.equal(200);
        expect((await call(a.key, 'POST', '/v1/conversations', { items: [{ id }] })).status, id).to.equal(200);
        expect(fake.requests, id).to.have.length(3);
        // B cannot reach any of them, through any route.
        await expectRefused(() => call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input: [{ id }] }), 404, 'input[0].id', `B: responses ${id}`);
        await expectRefused(() => call(b.key, 'POST', '/v1/conversations', { items: [{ type: 'item_reference', id }] }), 404, 'items[0].id', `B: conversation create ${id}`);
        await expectRefused(() => call(b.key, 'POST', `/v1/conversations/${conversationB}/items`, { items: [{ id, type: null }] }), 404, 'items[0].id', `B: conversation items ${id}`);
      }
    });

    it('records the output of a background response when its owner retrieves it', async () => {
      const queued = await a.client.responses.create({ model: 'fake-model', input: 'later', background: true });
      expect(queued.output).to.deep.equal([]);
      fake.finishBackground(queued.id); // the fake's background responses run until told they finished
      const done = await a.client.responses.retrieve(queued.id);
      const item = done.output[0]!.id!;
      fake.reset();
      expect((await call(a.key, 'POST', '/v1/responses', { model: 'fake-model', input: [{ type: 'item_reference', id: item }] })).status).to.equal(200);
      await expectRefused(() => call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input: [{ type: 'item_reference', id: item }] }), 404, 'input[0].id', 'B: background item');
    });
  });

  it("answers another user's item ids, in every spelling, exactly like ids that do not exist", async () => {
    const first = await a.client.responses.create({ model: 'fake-model', input: 'secret', reasoning: { effort: 'low' } });
    const [reasoning, message] = first.output;
    for (const [label, input] of [
      ['bare message id', [{ id: message!.id }]],
      ['{id, type: null}', [{ id: message!.id, type: null }]],
      ['item_reference', [{ type: 'item_reference', id: message!.id }]],
      ['whole message', [message]],
      ['reasoning by id', [{ type: 'reasoning', id: reasoning!.id, summary: [] }]],
    ] as const) {
      await expectRefused(() => call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input }), 404, 'input[0].id', `B: ${label}`);
      const foreign = await (await call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input })).json();
      const unknown = await (await call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input: [{ id: 'msg_nobodys' }] })).json();
      expect(foreign.error.message.replace(/'[^']+'/, 'ID'), label).to.equal(unknown.error.message.replace(/'[^']+'/, 'ID'));
    }
    // A's items still work for A, and B's own multi-turn still works for B.
    fake.reset();
    expect((await call(a.key, 'POST', '/v1/responses', { model: 'fake-model', input: [...first.output, { role: 'user', content: 'more' }] })).status).to.equal(200);
    const own = await b.client.responses.create({ model: 'fake-model', input: 'mine' });
    expect((await call(b.key, 'POST', '/v1/responses', { model: 'fake-model', input: [...own.output, { role: 'user', content: 'more' }] })).status).to.equal(200);
  });
});
