// The shapes of chat completions and embeddings request bodies, as the official `openai` SDK
// types them (resources/chat/completions/completions.d.ts, embeddings.d.ts). See
// reference-walk.ts for what the walk does with each field.
import { arr, byJsonType, byTag, obj, OPAQUE, PLAIN, ref, URL_FIELD, type Shape } from './reference-walk.ts';

const CACHE_BREAKPOINT = obj('mode ttl');
const TEXT_PART = obj('type text', { prompt_cache_breakpoint: CACHE_BREAKPOINT });
const PART = byTag('type', {
  text: TEXT_PART,
  image_url: obj('type', { image_url: obj('detail', { url: URL_FIELD }), prompt_cache_breakpoint: CACHE_BREAKPOINT }),
  input_audio: obj('type', { input_audio: obj('data format'), prompt_cache_breakpoint: CACHE_BREAKPOINT }),
  file: obj('type', { file: obj('file_data filename', { file_id: ref('file') }), prompt_cache_breakpoint: CACHE_BREAKPOINT }),
  refusal: obj('type refusal'),
});
const CONTENT = byJsonType({ string: PLAIN, array: arr(PART) });

/** A tool call's id pairs it with the tool message answering it: a correlation id, not an object. */
const TOOL_CALL = byTag('type', {
  function: obj('type id', { function: obj('arguments name') }),
  custom: obj('type id', { custom: obj('input name') }),
});

const MESSAGE = byTag('role', {
  developer: obj('role name', { content: CONTENT }),
  system: obj('role name', { content: CONTENT }),
  user: obj('role name', { content: CONTENT }),
  assistant: obj('role name refusal', {
    content: CONTENT,
    // An earlier audio answer, by id: Cloister records no owner for those.
    audio: obj('', { id: ref('audio') }),
    function_call: obj('arguments name'),
    tool_calls: arr(TOOL_CALL),
  }),
  tool: obj('role tool_call_id', { content: CONTENT }),
  function: obj('role name content'),
});

const FUNCTION = obj('name description strict', { parameters: OPAQUE });
const TOOL = byTag('type', {
  function: obj('type', { function: FUNCTION }),
  custom: obj('type', {
    custom: obj('name description', {
      format: byTag('type', { text: obj('type'), grammar: obj('type', { grammar: obj('definition syntax') }) }),
    }),
  }),
});

/** POST /v1/chat/completions */
export const CHAT_COMPLETION_CREATE: Shape = obj(
  'model frequency_penalty logprobs max_completion_tokens max_tokens modalities n parallel_tool_calls ' +
  'presence_penalty prompt_cache_key prompt_cache_retention reasoning_effort safety_identifier seed ' +
  'service_tier stop store stream temperature top_logprobs top_p user verbosity',
  {
    messages: arr(MESSAGE),
    audio: obj('format', { voice: byJsonType({ string: PLAIN, object: obj('', { id: ref('voice') }) }) }),
    function_call: byJsonType({ string: PLAIN, object: obj('name') }),
    functions: arr(FUNCTION),
    // Token ids to biases: numbers only.
    logit_bias: OPAQUE,
    metadata: OPAQUE,
    moderation: obj('model', { policy: obj('', { input: obj('mode'), output: obj('mode') }) }),
    prediction: obj('type', { content: byJsonType({ string: PLAIN, array: arr(TEXT_PART) }) }),
    prompt_cache_options: obj('mode ttl'),
    response_format: byTag('type', {
      text: obj('type'),
      json_object: obj('type'),
      // The schema is the user's: its property names are not references.
      json_schema: obj('type', { json_schema: obj('name description strict', { schema: OPAQUE }) }),
    }),
    stream_options: obj('include_obfuscation include_usage'),
    tool_choice: byJsonType({
      string: PLAIN,
      object: byTag('type', {
        allowed_tools: obj('type', { allowed_tools: obj('mode', { tools: arr(obj('type', { function: obj('name'), custom: obj('name') })) }) }),
        function: obj('type', { function: obj('name') }),
        custom: obj('type', { custom: obj('name') }),
      }),
    }),
    tools: arr(TOOL),
    web_search_options: obj('search_context_size', {
      user_location: obj('type', { approximate: obj('city country region timezone') }),
    }),
  },
);

/** POST /v1/embeddings */
export const EMBEDDING_CREATE: Shape = obj('input model dimensions encoding_format user');
