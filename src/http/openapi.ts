// The OpenAPI 3.1 document: a hand-written table of every operation (a test checks it against
// the routes the routers actually register, both ways). OpenAI-compatible bodies are forwarded
// byte for byte, so their schemas are OpenAI's; Cloister's own shapes are spelled out.

type Auth = 'public' | 'user' | 'session-or-none';
interface Op {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly auth: Auth;
  readonly body?: boolean;
  /** may answer text/event-stream */
  readonly stream?: boolean;
  /** Cloister's own response schema (a components/schemas name), else an OpenAI object passed through */
  readonly schema?: string;
}

const op = (method: Op['method'], path: string, tag: string, auth: Auth, summary: string, extra: Partial<Op> = {}): Op => ({ method, path, tag, auth, summary, ...extra });

/** Every operation Cloister serves. */
export const OPERATIONS: readonly Op[] = [
  op('get', '/healthz', 'operations', 'public', 'Liveness: the process answers', { schema: 'Status' }),
  op('get', '/readyz', 'operations', 'public', 'Readiness: database reachable and migrated (503 otherwise)', { schema: 'Readiness' }),
  op('get', '/metrics', 'operations', 'public', 'Prometheus metrics (METRICS_TOKEN bearer, or loopback peers when unset)'),
  op('get', '/openapi.json', 'operations', 'public', 'This document'),
  op('get', '/docs', 'operations', 'public', 'Browsable API documentation (self-hosted)'),
  op('get', '/docs/viewer.js', 'operations', 'public', 'Script of the documentation viewer'),
  op('get', '/login', 'sign-in', 'public', 'Minimal sign-in page'),
  op('get', '/login.js', 'sign-in', 'public', 'Script of the sign-in page'),
  op('get', '/v1/auth/providers', 'sign-in', 'public', 'Which sign-in methods are enabled'),
  op('post', '/v1/auth/logout', 'sign-in', 'session-or-none', 'End the current session (204)'),
  op('post', '/v1/auth/passkey/register/options', 'sign-in', 'session-or-none', 'WebAuthn registration options (passkey-first sign-up)', { body: true }),
  op('post', '/v1/auth/passkey/register/verify', 'sign-in', 'session-or-none', 'Verify a new passkey and sign in', { body: true }),
  op('post', '/v1/auth/passkey/login/options', 'sign-in', 'public', 'WebAuthn authentication options (usernameless)', { body: true }),
  op('post', '/v1/auth/passkey/login/verify', 'sign-in', 'public', 'Verify a passkey assertion and sign in', { body: true }),
  op('get', '/v1/auth/google', 'sign-in', 'public', 'Start Google sign-in (302; PKCE, state, nonce)'),
  op('get', '/v1/auth/google/callback', 'sign-in', 'public', 'Google redirect target: sets the session cookie, 302 to return_to'),
  op('get', '/v1/auth/github', 'sign-in', 'public', 'Start GitHub sign-in (302; PKCE, state)'),
  op('get', '/v1/auth/github/callback', 'sign-in', 'public', 'GitHub redirect target: sets the session cookie, 302 to return_to'),
  op('post', '/v1/auth/password/signup', 'sign-in', 'public', 'Email and password sign-up (AUTH_PASSWORD_ENABLED)', { body: true }),
  op('post', '/v1/auth/password/login', 'sign-in', 'public', 'Email and password sign-in (AUTH_PASSWORD_ENABLED)', { body: true }),
  op('get', '/v1/users/me', 'account', 'user', 'Your profile'),
  op('patch', '/v1/users/me', 'account', 'user', 'Change your display name', { body: true }),
  op('delete', '/v1/users/me', 'account', 'user', 'Delete your account (conversations deleted upstream best effort)'),
  op('get', '/v1/users/me/settings', 'account', 'user', 'Your settings (stored encrypted)'),
  op('put', '/v1/users/me/settings', 'account', 'user', 'Replace your settings', { body: true }),
  op('get', '/v1/users/me/api-keys', 'account', 'user', 'Your API keys (prefixes only)'),
  op('post', '/v1/users/me/api-keys', 'account', 'user', 'Create an API key (shown once)', { body: true }),
  op('delete', '/v1/users/me/api-keys/{id}', 'account', 'user', 'Revoke an API key'),
  op('get', '/v1/users/me/sessions', 'account', 'user', 'Your sessions'),
  op('delete', '/v1/users/me/sessions/{id}', 'account', 'user', 'Revoke a session'),
  op('get', '/v1/users/me/passkeys', 'account', 'user', 'Your passkeys'),
  op('post', '/v1/users/me/passkeys/options', 'account', 'user', 'Options to add a passkey', { body: true }),
  op('post', '/v1/users/me/passkeys', 'account', 'user', 'Add a passkey', { body: true }),
  op('patch', '/v1/users/me/passkeys/{id}', 'account', 'user', 'Rename a passkey', { body: true }),
  op('delete', '/v1/users/me/passkeys/{id}', 'account', 'user', 'Delete a passkey'),
  op('get', '/v1/users/me/usage', 'account', 'user', 'Your requests and tokens by day and model', { schema: 'UsageList' }),
  op('get', '/v1/conversations', 'conversations', 'user', "Cloister's own list of your conversations, newest first (limit ≤ 100, after)", { schema: 'ConversationList' }),
  op('post', '/v1/conversations', 'conversations', 'user', 'Create a conversation (you become its owner)', { body: true }),
  op('get', '/v1/conversations/{id}', 'conversations', 'user', 'Retrieve your conversation'),
  op('post', '/v1/conversations/{id}', 'conversations', 'user', 'Update your conversation', { body: true }),
  op('delete', '/v1/conversations/{id}', 'conversations', 'user', 'Delete your conversation'),
  op('get', '/v1/conversations/{id}/items', 'conversations', 'user', 'List items of your conversation'),
  op('post', '/v1/conversations/{id}/items', 'conversations', 'user', 'Add items to your conversation', { body: true }),
  op('get', '/v1/conversations/{id}/items/{item_id}', 'conversations', 'user', 'Retrieve an item of your conversation'),
  op('delete', '/v1/conversations/{id}/items/{item_id}', 'conversations', 'user', 'Delete an item of your conversation'),
  op('get', '/v1/models', 'models', 'user', 'List models'),
  op('get', '/v1/models/{model}', 'models', 'user', 'Retrieve a model (ids may contain /)'),
  op('post', '/v1/chat/completions', 'chat', 'user', 'Create a chat completion (stream or not); signed', { body: true, stream: true }),
  op('get', '/v1/chat/completions', 'chat', 'user', 'Refused (404): listing would show every user\'s stored completions under the shared key'),
  op('get', '/v1/chat/completions/{id}', 'chat', 'user', 'Retrieve your stored chat completion'),
  op('post', '/v1/chat/completions/{id}', 'chat', 'user', 'Update your stored chat completion', { body: true }),
  op('delete', '/v1/chat/completions/{id}', 'chat', 'user', 'Delete your stored chat completion'),
  op('get', '/v1/chat/completions/{id}/messages', 'chat', 'user', 'Messages of your stored chat completion'),
  op('post', '/v1/responses', 'responses', 'user', 'Create a response (stream, background); conversation and previous_response_id must be yours; signed', { body: true, stream: true }),
  op('get', '/v1/responses/{id}', 'responses', 'user', 'Retrieve your response (?stream=true&starting_after=N resumes its stream)', { stream: true }),
  op('delete', '/v1/responses/{id}', 'responses', 'user', 'Delete your response'),
  op('post', '/v1/responses/{id}/cancel', 'responses', 'user', 'Cancel your background response'),
  op('get', '/v1/responses/{id}/input_items', 'responses', 'user', 'Input items of your response'),
  op('post', '/v1/embeddings', 'embeddings', 'user', 'Create embeddings', { body: true }),
  op('get', '/v1/attestation/report', 'attestation', 'public', 'Attestation report binding the signing keys and your nonce into a TDX quote', { schema: 'AttestationReport' }),
  op('get', '/v1/signature/{id}', 'attestation', 'user', 'The signature of your chat completion or response', { schema: 'ResponseSignature' }),
];

const ERROR = { $ref: '#/components/responses/Error' };

/** Builds the OpenAPI 3.1 document for a server at `serverUrl`. */
export function buildOpenApiDocument(serverUrl: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const o of OPERATIONS) {
    const params = [...o.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', pattern: m[1] === 'model' ? '^[A-Za-z0-9._:@+/-]+$' : '^[A-Za-z0-9_-]{1,128}$' } }));
    const content: Record<string, unknown> = { 'application/json': { schema: o.schema ? { $ref: `#/components/schemas/${o.schema}` } : { type: 'object', description: 'OpenAI-compatible object, as upstream sent it' } } };
    if (o.stream) content['text/event-stream'] = { schema: { type: 'string', description: 'Server-sent events relayed byte for byte; `: ping` comments while upstream is silent; a final `event: error` on failure' } };
    paths[o.path] ??= {};
    paths[o.path]![o.method] = {
      summary: o.summary,
      tags: [o.tag],
      operationId: `${o.method}${o.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(params.length ? { parameters: params } : {}),
      security: o.auth === 'user' ? [{ bearer: [] }, { session: [] }] : o.auth === 'session-or-none' ? [{}, { session: [] }] : [],
      ...(o.body ? { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
      responses: {
        200: { description: 'Success', content },
        400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 413: ERROR, 415: ERROR, 429: ERROR, 500: ERROR, 502: ERROR, 503: ERROR, 504: ERROR,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Cloister', version, description: 'Confidential, OpenAI-compatible chat proxy. Every id is ownership-checked; request bodies go upstream byte for byte; replies are signed by keys bound into a TDX attestation.' },
    servers: [{ url: serverUrl }],
    tags: [...new Set(OPERATIONS.map((o) => o.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key ck_<prefix>_<secret>' },
        session: { type: 'apiKey', in: 'cookie', name: 'cloister_session', description: '__Host-cloister_session on https; unsafe requests need a matching Origin' },
      },
      responses: { Error: { description: 'OpenAI-shaped error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['message', 'type', 'param', 'code'], properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: ['string', 'null'] } } } } },
        Status: { type: 'object', properties: { status: { type: 'string' } } },
        Readiness: { type: 'object', properties: { status: { enum: ['ready', 'unavailable'] }, checks: { type: 'object', properties: { database: { type: 'string' }, migrations: { type: 'string' } } } } },
        ConversationList: { type: 'object', properties: { object: { const: 'list' }, data: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, object: { const: 'conversation' }, created_at: { type: 'integer' } } } }, first_id: { type: ['string', 'null'] }, last_id: { type: ['string', 'null'] }, has_more: { type: 'boolean' } } },
        UsageList: { type: 'object', properties: { object: { const: 'list' }, data: { type: 'array', items: { type: 'object', properties: { date: { type: 'string' }, model: { type: 'string' }, requests: { type: 'integer' }, input_tokens: { type: 'integer' }, output_tokens: { type: 'integer' }, requests_without_usage: { type: 'integer' } } } } } },
        ResponseSignature: { type: 'object', properties: { text: { type: 'string', description: 'sha256(request bytes):sha256(response bytes)' }, signature: { type: 'string' }, signing_address: { type: 'string' }, signing_algo: { enum: ['ecdsa', 'ed25519'] } } },
        AttestationReport: { type: 'object', properties: { gateway_attestation: { type: 'object', properties: { signing_address: { type: 'string' }, signing_algo: { enum: ['ecdsa', 'ed25519'] }, request_nonce: { type: 'string' }, report_data: { type: 'string' }, tls_cert_fingerprint: { type: ['string', 'null'] }, intel_quote: { type: 'string' }, event_log: {}, vm_config: {}, info: { type: 'object' }, build: { type: 'object' }, simulated: { type: 'boolean' } } }, model_attestations: { description: "the model provider's report, byte for byte, or null" }, upstream_error: { type: 'string' } } },
      },
    },
  };
}

/** Converts a @koa/router path (`/:id`, `/*model`) to OpenAPI's (`/{id}`). */
export function toOpenApiPath(routerPath: string): string {
  return routerPath.replace(/[:*]([A-Za-z_]+)/g, '{$1}');
}
