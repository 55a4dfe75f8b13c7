// The shapes of the Responses and Conversations APIs, as the official `openai` SDK types them
// (resources/responses/responses.d.ts, conversations/): request bodies, input and output items,
// content parts and tools. Every field that can name an upstream object is a `ref` of its kind;
// see reference-walk.ts for what the walk does with each.
import { arr, byJsonType, byTag, obj, OPAQUE, PLAIN, ref, refs, mapOf, URL_FIELD, type Shape } from './reference-walk.ts';

const ITEM = ref('item');
const FILE = ref('file');
const CONTAINER = ref('container');

const CACHE_BREAKPOINT = obj('mode ttl');

/** Content parts of messages, tool outputs and prompt variables (input and output). */
const ANNOTATION = byTag('type', {
  file_citation: obj('type filename index', { file_id: FILE }),
  url_citation: obj('type end_index start_index title url'),
  container_file_citation: obj('type end_index start_index filename', { container_id: CONTAINER, file_id: FILE }),
  file_path: obj('type index', { file_id: FILE }),
});
const LOGPROB = obj('token bytes logprob', { top_logprobs: arr(obj('token bytes logprob')) });
const INPUT_TEXT = obj('type text', { prompt_cache_breakpoint: CACHE_BREAKPOINT });
const INPUT_IMAGE = obj('type detail', { image_url: URL_FIELD, file_id: FILE, prompt_cache_breakpoint: CACHE_BREAKPOINT });
const INPUT_FILE = obj('type detail file_data filename', { file_url: URL_FIELD, file_id: FILE, prompt_cache_breakpoint: CACHE_BREAKPOINT });
const CONTENT_PART = byTag('type', {
  input_text: INPUT_TEXT,
  input_image: INPUT_IMAGE,
  input_file: INPUT_FILE,
  output_text: obj('type text', { annotations: arr(ANNOTATION), logprobs: arr(LOGPROB) }),
  refusal: obj('type refusal'),
  // In conversation items, as upstream lists them.
  text: obj('type text'),
  summary_text: obj('type text'),
  reasoning_text: obj('type text'),
  computer_screenshot: obj('type detail', { image_url: URL_FIELD, file_id: FILE, prompt_cache_breakpoint: CACHE_BREAKPOINT }),
});
const CONTENT = byJsonType({ string: PLAIN, array: arr(CONTENT_PART) });

const TEXT_FORMAT = byTag('type', {
  text: obj('type'),
  json_object: obj('type'),
  // The schema is the user's: its property names ("user_id", …) are not references.
  json_schema: obj('type name description strict', { schema: OPAQUE }),
});

// --- tools ---
const ALLOWED_CALLERS = 'allowed_callers';
const NETWORK_POLICY = byTag('type', {
  disabled: obj('type'),
  allowlist: obj('type allowed_domains', { domain_secrets: arr(obj('domain name value')) }),
});
const FUNCTION_TOOL = obj(`type name strict description async defer_loading ${ALLOWED_CALLERS}`, { parameters: OPAQUE, output_schema: OPAQUE });
const CUSTOM_TOOL = obj(`type name description async defer_loading ${ALLOWED_CALLERS}`, {
  format: byTag('type', { text: obj('type'), grammar: obj('type definition syntax') }),
});
const MCP_TOOL_FILTER = obj('read_only tool_names');
const SKILLS = arr(byTag('type', {
  skill_reference: obj('type version', { skill_id: ref('skill') }),
  inline: obj('type description name', { source: obj('type data media_type') }),
}));
const LOCAL_SKILLS = arr(obj('description name path'));
const USER_LOCATION = obj('type city country region timezone');
const TOOL = byTag('type', {
  function: FUNCTION_TOOL,
  custom: CUSTOM_TOOL,
  file_search: obj('type max_num_results', {
    vector_store_ids: refs('vector_store'),
    // Attribute filters: user-chosen attribute names and values.
    filters: OPAQUE,
    ranking_options: obj('ranker score_threshold', { hybrid_search: obj('embedding_weight text_weight') }),
  }),
  computer: obj('type'),
  computer_use_preview: obj('type display_height display_width environment'),
  web_search: obj('type external_web_access search_context_size', { filters: obj('allowed_domains'), user_location: USER_LOCATION }),
  web_search_2025_08_26: obj('type external_web_access search_context_size', { filters: obj('allowed_domains'), user_location: USER_LOCATION }),
  web_search_preview: obj('type search_content_types search_context_size', { user_location: USER_LOCATION }),
  web_search_preview_2025_03_11: obj('type search_content_types search_context_size', { user_location: USER_LOCATION }),
  mcp: obj(`type server_label server_description connector_id authorization defer_loading ${ALLOWED_CALLERS}`, {
    server_url: URL_FIELD,
    allowed_tools: byJsonType({ array: PLAIN, object: MCP_TOOL_FILTER }),
    // Header names and values for the user's own MCP server.
    headers: OPAQUE,
    require_approval: byJsonType({ string: PLAIN, object: obj('', { always: MCP_TOOL_FILTER, never: MCP_TOOL_FILTER }) }),
    tunnel_id: ref('tunnel'),
  }),
  code_interpreter: obj(`type ${ALLOWED_CALLERS}`, {
    container: byJsonType({
      string: CONTAINER,
      object: obj('type memory_limit', { file_ids: refs('file'), network_policy: NETWORK_POLICY }),
    }),
  }),
  programmatic_tool_calling: obj('type'),
  image_generation: obj('type action background complexity frame_count frame_duration_ms input_fidelity model moderation output_compression output_format partial_images quality size', {
    input_image_mask: obj('', { image_url: URL_FIELD, file_id: FILE }),
    svg: obj('model', { reasoning: obj('effort') }),
  }),
  local_shell: obj('type'),
  shell: obj(`type ${ALLOWED_CALLERS}`, {
    environment: byTag('type', {
      container_auto: obj('type memory_limit', { file_ids: refs('file'), network_policy: NETWORK_POLICY, skills: SKILLS }),
      local: obj('type', { skills: LOCAL_SKILLS }),
      container_reference: obj('type', { container_id: CONTAINER }),
    }),
  }),
  namespace: obj('type name description', { tools: arr(byTag('type', { function: FUNCTION_TOOL, custom: CUSTOM_TOOL })) }),
  tool_search: obj('type description execution', { parameters: OPAQUE }),
  apply_patch: obj(`type ${ALLOWED_CALLERS}`),
});
const TOOLS = arr(TOOL);

// --- items (input, output, conversation items: one shape each, output fields included) ---
/** A call made from a program item names that item. */
const CALLER = byTag('type', { direct: obj('type'), program: obj('type', { caller_id: ITEM }) });
const COMPUTER_ACTION = obj('type button x y keys scroll_x scroll_y text', { path: arr(obj('x y')) });
/** Safety-check ids only pair a check with its acknowledgement within the same call. */
const SAFETY_CHECKS = arr(obj('id code message'));
const MESSAGE_FIELDS = 'type role status phase';
const MESSAGE = obj(MESSAGE_FIELDS, { id: ITEM, content: CONTENT });
const ITEM_SHAPES: Record<string, Shape> = {
  message: MESSAGE,
  item_reference: obj('type', { id: ITEM }),
  file_search_call: obj('type queries status', {
    id: ITEM,
    results: arr(obj('filename score text', { file_id: FILE, attributes: OPAQUE })),
  }),
  computer_call: obj('type call_id status', { id: ITEM, pending_safety_checks: SAFETY_CHECKS, action: COMPUTER_ACTION, actions: arr(COMPUTER_ACTION) }),
  computer_call_output: obj('type call_id status created_by', {
    id: ITEM,
    output: obj('type', { image_url: URL_FIELD, file_id: FILE }),
    acknowledged_safety_checks: SAFETY_CHECKS,
  }),
  web_search_call: obj('type status', { id: ITEM, action: obj('type queries query url pattern', { sources: arr(obj('type url')) }) }),
  function_call: obj('type arguments call_id name async namespace status created_by', { id: ITEM, caller: CALLER }),
  function_call_output: obj('type call_id name namespace status created_by', { id: ITEM, output: CONTENT, caller: CALLER }),
  tool_search_call: obj('type call_id execution status created_by', { id: ITEM, arguments: OPAQUE }),
  tool_search_output: obj('type call_id execution status created_by', { id: ITEM, tools: TOOLS }),
  additional_tools: obj('type role', { id: ITEM, tools: TOOLS }),
  configuration_update: obj('type', { id: ITEM, reasoning: obj('effort'), text: obj('', { format: TEXT_FORMAT }) }),
  reasoning: obj('type encrypted_content status', { id: ITEM, summary: arr(obj('type text')), content: arr(obj('type text')) }),
  compaction: obj('type encrypted_content created_by', { id: ITEM }),
  compaction_trigger: obj('type', { id: ITEM }),
  image_generation_call: obj('type result status action background output_format quality revised_prompt size', {
    id: ITEM,
    error: obj('code message param type', { moderation_details: obj('categories moderation_stage') }),
    svg_usage: obj('input_tokens model output_tokens reasoning_tokens total_tokens'),
  }),
  code_interpreter_call: obj('type code status', {
    id: ITEM,
    container_id: CONTAINER,
    outputs: arr(byTag('type', { logs: obj('type logs'), image: obj('type url') })),
  }),
  local_shell_call: obj('type call_id status', {
    id: ITEM,
    // The user's own command line and environment.
    action: obj('type command timeout_ms user working_directory', { env: OPAQUE }),
  }),
  // Its id is the id of the local_shell_call it answers.
  local_shell_call_output: obj('type output status', { id: ITEM }),
  shell_call: obj('type call_id status created_by', {
    id: ITEM,
    action: obj('commands max_output_length timeout_ms'),
    caller: CALLER,
    environment: byTag('type', { local: obj('type', { skills: LOCAL_SKILLS }), container_reference: obj('type', { container_id: CONTAINER }) }),
  }),
  shell_call_output: obj('type call_id max_output_length status created_by', {
    id: ITEM,
    caller: CALLER,
    output: arr(obj('stderr stdout created_by', { outcome: obj('type exit_code') })),
  }),
  apply_patch_call: obj('type call_id status created_by', { id: ITEM, caller: CALLER, operation: obj('type diff path') }),
  apply_patch_call_output: obj('type call_id status output created_by', { id: ITEM, caller: CALLER }),
  mcp_list_tools: obj('type server_label error', {
    id: ITEM,
    tools: arr(obj('name description', { input_schema: OPAQUE, annotations: OPAQUE })),
  }),
  mcp_approval_request: obj('type arguments name server_label', { id: ITEM }),
  // Approves an approval request: an item of the user's own earlier response.
  mcp_approval_response: obj('type approve reason', { id: ITEM, approval_request_id: ITEM }),
  mcp_call: obj('type arguments name server_label output status', {
    id: ITEM,
    approval_request_id: ITEM,
    error: obj('type code message', { content: OPAQUE }),
  }),
  custom_tool_call: obj('type call_id input name async namespace status created_by', { id: ITEM, caller: CALLER }),
  custom_tool_call_output: obj('type call_id status created_by', { id: ITEM, output: CONTENT, caller: CALLER }),
  program: obj('type call_id code fingerprint', { id: ITEM }),
  program_output: obj('type call_id result status', { id: ITEM }),
};

/**
 * One item of Responses input, conversation items, or upstream's output. Without a `type`
 * it is a message (`role` given) or else an item reference: `{id}` and `{id, type: null}` name
 * an item exactly as `{type: "item_reference", id}` does (the SDK's ItemReference).
 */
export const ITEM_SHAPE: Shape = byTag('type', ITEM_SHAPES, MESSAGE);

const PROMPT = obj('version', {
  id: ref('prompt'),
  variables: mapOf(byJsonType({ string: PLAIN, object: byTag('type', { input_text: INPUT_TEXT, input_image: INPUT_IMAGE, input_file: INPUT_FILE }) })),
});

const TOOL_CHOICE = byJsonType({
  string: PLAIN,
  object: byTag('type', {
    allowed_tools: obj('type mode', { tools: arr(obj('type name server_label')) }),
    function: obj('type name'),
    custom: obj('type name'),
    mcp: obj('type server_label name'),
    programmatic_tool_calling: obj('type'),
    apply_patch: obj('type'),
    shell: obj('type'),
    file_search: obj('type'),
    computer: obj('type'),
    computer_use_preview: obj('type'),
    computer_use: obj('type'),
    code_interpreter: obj('type'),
    image_generation: obj('type'),
    web_search_preview: obj('type'),
    web_search_preview_2025_03_11: obj('type'),
    tool_search: obj('type'),
  }),
});

/** POST /v1/responses */
export const RESPONSE_CREATE: Shape = obj(
  'background include instructions max_output_tokens max_tool_calls model parallel_tool_calls ' +
  'prompt_cache_key prompt_cache_retention safety_identifier service_tier store stream temperature ' +
  'top_logprobs top_p truncation user',
  {
    input: byJsonType({ string: PLAIN, array: arr(ITEM_SHAPE) }),
    conversation: byJsonType({ string: ref('conversation'), object: obj('', { id: ref('conversation') }) }),
    previous_response_id: ref('response'),
    prompt: PROMPT,
    prompt_cache_options: obj('mode prewarm ttl', { comparison_response_id: ref('response') }),
    tools: TOOLS,
    tool_choice: TOOL_CHOICE,
    text: obj('verbosity', { format: TEXT_FORMAT }),
    reasoning: obj('context effort generate_summary mode summary'),
    // Metadata values are the user's own strings; its keys ("user_id", …) are not references.
    metadata: OPAQUE,
    context_management: arr(obj('type compact_threshold')),
    moderation: obj('model', { policy: obj('', { input: obj('mode'), output: obj('mode') }) }),
    stream_options: obj('include_obfuscation'),
    access_programs: obj('cyber'),
    image: obj('context_compression'),
  },
);

/** POST /v1/conversations */
export const CONVERSATION_CREATE: Shape = obj('', { items: arr(ITEM_SHAPE), metadata: OPAQUE });
/** POST /v1/conversations/{id}/items */
export const CONVERSATION_ITEMS_CREATE: Shape = obj('', { items: arr(ITEM_SHAPE) });
/** POST /v1/conversations/{id} and /v1/chat/completions/{id}: metadata only. */
export const METADATA_UPDATE: Shape = obj('', { metadata: OPAQUE });
/** POST /v1/responses/{id}/cancel: no fields. */
export const NO_FIELDS: Shape = obj('');

/** A list of items: a Responses object's `output`, an item list's `data`. */
export const ITEMS: Shape = arr(ITEM_SHAPE);
