// Finding 2 (references in request bodies): the shapes Cloister walks bodies with, judged by
// the official `openai` SDK's own type declarations. Samples of every SDK request and item type
// (every property filled in, every union member taken) must walk with no value left
// undescribed, and the fields found to name upstream objects must be exactly the ones listed
// here, each with its kind: checked against a recorded owner, or refused.
import { expect } from 'chai';
import { auditReferences, referencesIn, referencesRevealed, type Shape } from '../../../src/proxy/reference-walk.ts';
import { CONVERSATION_CREATE, CONVERSATION_ITEMS_CREATE, ITEM_SHAPE, METADATA_UPDATE, RESPONSE_CREATE } from '../../../src/proxy/response-shapes.ts';
import { CHAT_COMPLETION_CREATE, EMBEDDING_CREATE } from '../../../src/proxy/chat-shapes.ts';
import { AppError } from '../../../src/errors.ts';
import { fieldOf, sdkSamples } from '../../support/sdk-samples.ts';

/** Reference fields inside one item (input, output or conversation item), by kind. */
const ITEM_REFERENCES = [
  'container container_id', 'container content[].annotations[].container_id', 'container environment.container_id',
  'container tools[].container', 'container tools[].environment.container_id',
  'file content[].annotations[].file_id', 'file content[].file_id', 'file output.file_id', 'file output[].file_id',
  'file results[].file_id', 'file tools[].container.file_ids[]', 'file tools[].environment.file_ids[]',
  'file tools[].input_image_mask.file_id',
  'item approval_request_id', 'item caller.caller_id', 'item id',
];
/** Fields inside one item naming kinds no owner is recorded for (always refused). */
const ITEM_REFUSALS = ['tools[].environment.skills[].skill_id', 'tools[].tunnel_id', 'tools[].vector_store_ids[]'];
const under = (prefix: string, fields: readonly string[]) => fields.map((f) => f.replace(/^(\w+ )?/, (kind) => `${kind}${prefix}`));

interface Expected {
  readonly type: string;
  readonly shape: Shape;
  readonly references: readonly string[];
  readonly refusals: readonly string[];
  /** free-form objects the SDK types as `{[key: string]: unknown}`, walked fail closed on purpose */
  readonly undescribed?: readonly string[];
}

const EXPECTED: readonly Expected[] = [
  {
    type: 'R.ResponseCreateParamsStreaming',
    shape: RESPONSE_CREATE,
    references: [
      ...under('input[].', ITEM_REFERENCES),
      'container tools[].container', 'container tools[].environment.container_id',
      'conversation conversation', 'conversation conversation.id',
      'file prompt.variables.sample_key.file_id',
      'file tools[].container.file_ids[]', 'file tools[].environment.file_ids[]', 'file tools[].input_image_mask.file_id',
      'response previous_response_id', 'response prompt_cache_options.comparison_response_id',
    ],
    refusals: [...under('input[].', ITEM_REFUSALS), ...ITEM_REFUSALS, 'prompt.id'],
    undescribed: ['tool_choice.tools[].sample_key'],
  },
  // Output items hold no input message, so no input_image or input_file part.
  { type: 'R.ResponseOutputItem', shape: ITEM_SHAPE, references: ITEM_REFERENCES.filter((f) => f !== 'file content[].file_id'), refusals: ITEM_REFUSALS },
  { type: 'R.ResponseItem', shape: ITEM_SHAPE, references: ITEM_REFERENCES, refusals: ITEM_REFUSALS },
  { type: 'CI.ConversationItem', shape: ITEM_SHAPE, references: ITEM_REFERENCES, refusals: ITEM_REFUSALS },
  { type: 'CC.ConversationCreateParams', shape: CONVERSATION_CREATE, references: under('items[].', ITEM_REFERENCES), refusals: under('items[].', ITEM_REFUSALS) },
  // ItemCreateParams also types the `include` query parameter, which is not part of the body.
  { type: "Omit<CI.ItemCreateParams, 'include'>", shape: CONVERSATION_ITEMS_CREATE, references: under('items[].', ITEM_REFERENCES), refusals: under('items[].', ITEM_REFUSALS) },
  { type: 'CC.ConversationUpdateParams', shape: METADATA_UPDATE, references: [], refusals: [] },
  {
    type: 'C.ChatCompletionCreateParamsStreaming',
    shape: CHAT_COMPLETION_CREATE,
    references: ['file messages[].content[].file.file_id'],
    refusals: ['audio.voice.id', 'messages[].audio.id'],
    undescribed: ['tool_choice.allowed_tools.tools[].sample_key'],
  },
  { type: 'E.EmbeddingCreateParams', shape: EMBEDDING_CREATE, references: [], refusals: [] },
];

const refusal = (body: unknown, shape: Shape): AppError => {
  try {
    referencesIn(body, shape);
  } catch (e) {
    expect(e).to.be.instanceOf(AppError);
    return e as AppError;
  }
  throw new Error(`not refused: ${JSON.stringify(body)}`);
};

describe('references in request bodies (finding 2): the shapes', () => {
  let samples: Map<string, unknown[]>;
  before(function () {
    this.timeout(60_000);
    samples = sdkSamples(EXPECTED.map((e) => e.type), 60);
  });

  for (const e of EXPECTED) {
    it(`knows every field of the SDK's ${e.type}, and which name upstream objects`, () => {
      const references = new Set<string>();
      const refusals = new Set<string>();
      const undescribed = new Set<string>();
      for (const sample of samples.get(e.type)!) {
        const seen = auditReferences(sample, e.shape);
        for (const r of seen.found) references.add(`${r.kind} ${fieldOf(r.param)}`);
        for (const r of seen.refused) refusals.add(fieldOf(r.param));
        for (const p of seen.undescribed) undescribed.add(fieldOf(p));
      }
      expect([...undescribed].sort(), 'values no shape describes').to.deep.equal([...(e.undescribed ?? [])].sort());
      expect([...references].sort(), 'references checked against an owner').to.deep.equal([...e.references].sort());
      expect([...refusals].sort(), 'references refused').to.deep.equal([...e.refusals].sort());
    });
  }

  it('records from an answer exactly what a check of the same items would ask about', () => {
    for (const type of ['R.ResponseOutputItem', 'CI.ConversationItem']) {
      for (const sample of samples.get(type)!) {
        const checked = auditReferences(sample, ITEM_SHAPE).found;
        expect(referencesRevealed(sample, ITEM_SHAPE)).to.deep.equal(checked);
      }
    }
  });

  it('reads every spelling of an item reference as one: {id}, {id, type: null}, {type: "item_reference", id}, a message with an id', () => {
    for (const item of [{ id: 'msg_A' }, { id: 'msg_A', type: null }, { type: 'item_reference', id: 'msg_A' }, { role: 'user', content: 'x', id: 'msg_A' }, { type: 'reasoning', id: 'msg_A', summary: [] }]) {
      expect(referencesIn({ model: 'm', input: [{ role: 'user', content: 'x' }, item] }, RESPONSE_CREATE), JSON.stringify(item))
        .to.deep.equal([{ kind: 'item', id: 'msg_A', param: 'input[1].id' }]);
    }
  });

  it('never reads user-chosen names in JSON schemas, metadata and headers as references', () => {
    const schema = { type: 'object', properties: { user_id: { type: 'string' }, file_id: { const: 'file-abc' }, id: { default: 'msg_x' } } };
    const body = {
      model: 'm', input: 'x', metadata: { user_id: 'msg_123', file_id: 'file-9' },
      text: { format: { type: 'json_schema', name: 'out', schema } },
      tools: [{ type: 'function', name: 'f', parameters: schema }, { type: 'mcp', server_label: 's', server_url: 'https://mcp.example', headers: { 'x-tenant-id': 'vs_1' } }],
    };
    expect(referencesIn(body, RESPONSE_CREATE)).to.deep.equal([]);
    expect(referencesIn({ model: 'm', messages: [{ role: 'user', content: 'x' }], metadata: { conversation_id: 'conv_1' }, response_format: { type: 'json_schema', json_schema: { name: 'n', schema } }, tools: [{ type: 'function', function: { name: 'f', parameters: schema } }] }, CHAT_COMPLETION_CREATE)).to.deep.equal([]);
  });

  it('lets client-side correlation ids through: call_id, tool_call_id, tool call ids', () => {
    expect(referencesIn({ model: 'm', input: [{ type: 'function_call_output', call_id: 'call_1', output: 'ok' }] }, RESPONSE_CREATE)).to.deep.equal([]);
    expect(referencesIn({
      model: 'm',
      messages: [{ role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'call_1', content: 'ok' }],
    }, CHAT_COMPLETION_CREATE)).to.deep.equal([]);
  });

  it('lets unknown fields through only when nothing in them can name an upstream object', () => {
    // Extra sampling parameters of OpenAI-compatible servers.
    expect(referencesIn({ model: 'm', messages: [{ role: 'user', content: 'x' }], top_k: 20, chat_template_kwargs: { enable_thinking: false } }, CHAT_COMPLETION_CREATE)).to.deep.equal([]);
    for (const [body, param] of [
      [{ model: 'm', input: 'x', frobnicate: { thing_id: 'x' } }, 'frobnicate.thing_id'],
      [{ model: 'm', input: 'x', frobnicate: [{ nested: { ids: ['a'] } }] }, 'frobnicate[0].nested.ids'],
      [{ model: 'm', input: 'x', attach: 'cntr_abc123' }, 'attach'],
      [{ model: 'm', input: 'x', attach: { container: 'anything' } }, 'attach.container'],
      [{ model: 'm', input: [{ type: 'message', role: 'user', content: 'x', source: 'file-abc123' }] }, 'input[0].source'],
      [{ model: 'm', input: [{ type: 'future_call', id: 'fut_1' }] }, 'input[0].id'],
      [{ model: 'm', input: [{ type: ['message'], id: 'msg_1' }] }, 'input[0].id'],
      [{ model: 'm', input: [{ type: 'message', role: 'user', content: [{ type: 'input_video', video_id: 'v_1' }] }] }, 'input[0].content[0].video_id'],
      [{ model: 'm', input: 'x', tools: [{ type: 'code_interpreter', container: { type: 'auto', file_ids: [] }, storage: { id: 'x' } }] }, 'tools[0].storage.id'],
    ] as const) {
      expect(refusal(body, RESPONSE_CREATE).param, JSON.stringify(body)).to.equal(param);
    }
  });

  it('refuses another spelling of a known field, which a case-insensitive or NUL-terminating parser would read as it', () => {
    for (const [body, param] of [
      [{ model: 'm', input: 'x', Tools: [] }, 'Tools'],
      [{ model: 'm', input: 'x', PREVIOUS_RESPONSE_ID: 'resp_1' }, 'PREVIOUS_RESPONSE_ID'],
      [{ model: 'm', input: 'x', 'tool\u017f': [] }, 'tool\u017f'],
      [{ model: 'm', input: 'x', 'previous_response_id\u0000x': 'resp_1' }, 'previous_response_id\u0000x'],
      [{ model: 'm', input: 'x', stream_options: { 'include_obfuscation\u0000': true } }, 'stream_options.include_obfuscation\u0000'],
      [{ model: 'm', input: 'x', extra: { 'x_id\u0000y': 1 } }, 'extra.x_id\u0000y'],
      [{ model: 'm', input: [{ type: 'reasoning', ID: 'rs_1', summary: [] }] }, 'input[0].ID'],
    ] as const) {
      expect(refusal(body, RESPONSE_CREATE).param, JSON.stringify(body)).to.equal(param);
    }
  });

  it('refuses a value of another JSON type where an id belongs, and a bare id in a URL field', () => {
    expect(refusal({ model: 'm', input: 'x', previous_response_id: { id: 'resp_1' } }, RESPONSE_CREATE).param).to.equal('previous_response_id');
    expect(refusal({ model: 'm', input: [{ type: 'item_reference', id: ['msg_1'] }] }, RESPONSE_CREATE).param).to.equal('input[0].id');
    expect(refusal({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'file-abc123' }] }] }, RESPONSE_CREATE).param).to.equal('input[0].content[0].image_url');
  });

  it('treats "__proto__" and "constructor" as the ordinary keys JSON.parse makes them', () => {
    expect(refusal(JSON.parse('{"model":"m","__proto__":{"id":"msg_1"}}'), RESPONSE_CREATE).param).to.equal('__proto__.id');
    expect(refusal(JSON.parse('{"model":"m","input":[{"type":"constructor","id":"msg_1"}]}'), RESPONSE_CREATE).param).to.equal('input[0].id');
    expect(refusal(JSON.parse('{"model":"m","input":[{"type":"toString","id":"msg_1"}]}'), RESPONSE_CREATE).param).to.equal('input[0].id');
  });
});
