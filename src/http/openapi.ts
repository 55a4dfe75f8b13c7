// The OpenAPI 3.1 document: a hand-written table of every operation (a test checks it against
// the routes the routers actually register, both ways). OpenAI-compatible bodies are forwarded
// byte for byte, so their schemas are OpenAI's; Cloister's own shapes are spelled out.
import { AUDIT_ACTIONS } from '../audit/audit-log.ts';

type Auth = 'public' | 'user' | 'session-or-none' | 'admin';
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
  /** Cloister's own request body schema (a components/schemas name) */
  readonly requestSchema?: string;
  /** an inference route: rate limits, token budgets and concurrency apply, x-ratelimit-* headers describe them */
  readonly limited?: boolean;
  /** query parameters Cloister itself reads: name -> JSON schema */
  readonly query?: Readonly<Record<string, Record<string, unknown>>>;
}

const op = (method: Op['method'], path: string, tag: string, auth: Auth, summary: string, extra: Partial<Op> = {}): Op => ({ method, path, tag, auth, summary, ...extra });

const PAGE_LIMIT = { type: 'integer', minimum: 1, maximum: 100, default: 20 };

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
  op('post', '/v1/users/me/api-keys', 'account', 'user', 'Create an API key (shown once); optional limits {rpm, tpm, concurrency} cap it below your own', { body: true }),
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
  op('post', '/v1/chat/completions', 'chat', 'user', 'Create a chat completion (stream or not); signed', { body: true, stream: true, limited: true }),
  op('get', '/v1/chat/completions', 'chat', 'user', 'Refused (404): listing would show every user\'s stored completions under the shared key'),
  op('get', '/v1/chat/completions/{id}', 'chat', 'user', 'Retrieve your stored chat completion'),
  op('post', '/v1/chat/completions/{id}', 'chat', 'user', 'Update your stored chat completion', { body: true }),
  op('delete', '/v1/chat/completions/{id}', 'chat', 'user', 'Delete your stored chat completion'),
  op('get', '/v1/chat/completions/{id}/messages', 'chat', 'user', 'Messages of your stored chat completion'),
  op('post', '/v1/responses', 'responses', 'user', 'Create a response (stream, background); conversation and previous_response_id must be yours; signed', { body: true, stream: true, limited: true }),
  op('get', '/v1/responses/{id}', 'responses', 'user', 'Retrieve your response (?stream=true&starting_after=N resumes its stream)', { stream: true }),
  op('delete', '/v1/responses/{id}', 'responses', 'user', 'Delete your response'),
  op('post', '/v1/responses/{id}/cancel', 'responses', 'user', 'Cancel your background response'),
  op('get', '/v1/responses/{id}/input_items', 'responses', 'user', 'Input items of your response'),
  op('post', '/v1/embeddings', 'embeddings', 'user', 'Create embeddings', { body: true, limited: true }),
  op('get', '/v1/attestation/report', 'attestation', 'public', 'Attestation report binding the signing keys and your nonce into a TDX quote', { schema: 'AttestationReport' }),
  op('get', '/v1/signature/{id}', 'attestation', 'user', 'The signature of your chat completion or response', { schema: 'ResponseSignature' }),
  op('get', '/v1/admin/users', 'administration', 'admin', 'Users, newest first: ?query= (email substring or exact id), limit ≤ 100, after', { schema: 'AdminUserList', query: { query: { type: 'string', maxLength: 320 }, limit: PAGE_LIMIT, after: { type: 'string', description: 'last id of the previous page' } } }),
  op('get', '/v1/admin/users/{id}', 'administration', 'admin', 'One user, with this month\'s usage', { schema: 'AdminUser' }),
  op('post', '/v1/admin/users/{id}/disable', 'administration', 'admin', 'Disable a user: every session and API key revoked at once (not yourself)', { schema: 'AdminUser' }),
  op('post', '/v1/admin/users/{id}/enable', 'administration', 'admin', 'Re-enable a user (revoked sessions and keys stay revoked)', { schema: 'AdminUser' }),
  op('post', '/v1/admin/users/{id}/limits', 'administration', 'admin', 'Set a user\'s tier and/or limit overrides (overrides replace the previous ones; {} clears)', { body: true, requestSchema: 'AdminLimitsChange', schema: 'AdminUser' }),
  op('get', '/v1/admin/usage', 'administration', 'admin', 'Usage aggregates (counts only): ?from=&to= (YYYY-MM-DD, UTC), group_by=day|model|user, limit ≤ 100 for user', {
    schema: 'AdminUsage',
    query: { from: { type: 'string', format: 'date', description: 'default: the first of this month' }, to: { type: 'string', format: 'date', description: 'default: today; at most 366 days after from' }, group_by: { enum: ['day', 'model', 'user'], default: 'day' }, limit: { ...PAGE_LIMIT, description: 'with group_by=user' } },
  }),
  op('get', '/v1/admin/audit', 'administration', 'admin', 'The audit log, newest first: ?after=&limit= ≤ 100&user=&action=', {
    schema: 'AuditEventList',
    query: { after: { type: 'string', pattern: '^[1-9][0-9]*$' }, limit: PAGE_LIMIT, user: { type: 'string', format: 'uuid', description: 'subject user id' }, action: { enum: AUDIT_ACTIONS } },
  }),
];

const LIMIT_VALUES = {
  rpm: { type: ['integer', 'null'], minimum: 1 }, tpm: { type: ['integer', 'null'], minimum: 1 }, concurrency: { type: ['integer', 'null'], minimum: 0 },
  daily_tokens: { type: ['integer', 'null'], minimum: 0 }, monthly_tokens: { type: ['integer', 'null'], minimum: 0 },
};
const ADMIN_USER = {
  type: 'object',
  properties: {
    object: { const: 'admin.user' }, id: { type: 'string' }, email: { type: ['string', 'null'] }, created_at: { type: 'integer' }, last_active_at: { type: ['integer', 'null'] },
    disabled: { type: 'boolean' }, disabled_at: { type: ['integer', 'null'] }, is_admin: { type: 'boolean' }, tier: { type: 'string' },
    limit_overrides: { type: 'object', additionalProperties: false, properties: LIMIT_VALUES, description: 'a present key overrides the tier (null = unlimited); an absent key follows the tier' },
    usage_this_month: { type: 'object', properties: { since: { type: 'string', format: 'date' }, requests: { type: 'integer' }, input_tokens: { type: 'integer' }, output_tokens: { type: 'integer' }, estimated_tokens: { type: 'integer' } } },
  },
};
const listOf = (item: unknown) => ({ type: 'object', properties: { object: { const: 'list' }, data: { type: 'array', items: item }, has_more: { type: 'boolean' }, first_id: { type: ['string', 'null'] }, last_id: { type: ['string', 'null'] } } });
const ADMIN_SCHEMAS = {
  AdminUser: ADMIN_USER,
  AdminUserList: listOf({ $ref: '#/components/schemas/AdminUser' }),
  AdminLimitsChange: {
    type: 'object', additionalProperties: false, minProperties: 1,
    properties: { tier: { type: 'string', description: "'default' or a tier named in RATE_LIMIT_TIERS" }, overrides: { type: 'object', additionalProperties: false, properties: LIMIT_VALUES } },
  },
  AdminUsage: {
    type: 'object',
    properties: {
      object: { const: 'list' }, group_by: { enum: ['day', 'model', 'user'] }, from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' }, has_more: { type: 'boolean' },
      data: { type: 'array', items: { type: 'object', properties: {
        object: { const: 'usage.aggregate' }, date: { type: 'string', format: 'date' }, model: { type: 'string' }, user_id: { type: 'string' }, email: { type: ['string', 'null'] },
        requests: { type: 'integer' }, input_tokens: { type: 'integer' }, output_tokens: { type: 'integer' }, estimated_tokens: { type: 'integer' }, requests_without_usage: { type: 'integer' },
      } } },
    },
  },
  AuditEventList: listOf({
    type: 'object',
    properties: {
      object: { const: 'audit_event' }, id: { type: 'string' }, occurred_at: { type: 'integer' }, action: { type: 'string' },
      actor_user_id: { type: ['string', 'null'] }, subject_user_id: { type: ['string', 'null'] }, client_ip: { type: ['string', 'null'] },
      details: { type: 'object', description: 'metadata only: method, reason code, key id and prefix, tier and limit values' },
    },
  }),
};

const ERROR = { $ref: '#/components/responses/Error' };

const RATE_LIMIT_HEADERS = Object.fromEntries(['requests', 'tokens'].flatMap((kind) => [
  [`x-ratelimit-limit-${kind}`, { description: `Your ${kind} per minute (user or API key, whichever is tighter); absent when unlimited (upstream's own x-ratelimit-* headers are never passed on: they describe the key all users share)`, schema: { type: 'string' } }],
  [`x-ratelimit-remaining-${kind}`, { description: `${kind} left in the current minute`, schema: { type: 'string' } }],
  [`x-ratelimit-reset-${kind}`, { description: 'time until the allowance is full again, e.g. 6s, 1m30s, 20ms', schema: { type: 'string' } }],
]));
const LIMITED = {
  description: 'Refused by a limit: rate_limit_exceeded (requests or tokens per minute, concurrent requests) or insufficient_quota (daily or monthly token budget); retry-after says when to try again',
  headers: { 'retry-after': { description: 'seconds', schema: { type: 'string' } }, ...RATE_LIMIT_HEADERS },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

/** Builds the OpenAPI 3.1 document for a server at `serverUrl`. */
export function buildOpenApiDocument(serverUrl: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const o of OPERATIONS) {
    const params: unknown[] = [...o.path.matchAll(/\{([a-z_]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string', pattern: m[1] === 'model' ? '^[A-Za-z0-9._:@+/-]+$' : '^[A-Za-z0-9_-]{1,128}$' } }));
    for (const [name, schema] of Object.entries(o.query ?? {})) params.push({ name, in: 'query', required: false, schema });
    const content: Record<string, unknown> = { 'application/json': { schema: o.schema ? { $ref: `#/components/schemas/${o.schema}` } : { type: 'object', description: 'OpenAI-compatible object, as upstream sent it' } } };
    if (o.stream) content['text/event-stream'] = { schema: { type: 'string', description: 'Server-sent events relayed byte for byte; `: ping` comments while upstream is silent; a final `event: error` on failure' } };
    paths[o.path] ??= {};
    paths[o.path]![o.method] = {
      summary: o.summary,
      tags: [o.tag],
      operationId: `${o.method}${o.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      ...(params.length ? { parameters: params } : {}),
      security: o.auth === 'user' || o.auth === 'admin' ? [{ bearer: [] }, { session: [] }] : o.auth === 'session-or-none' ? [{}, { session: [] }] : [],
      ...(o.auth === 'admin' ? { description: 'Admins only (users.is_admin). Anyone else gets the 404 of an unknown URL.' } : {}),
      ...(o.body ? { requestBody: { required: true, content: { 'application/json': { schema: o.requestSchema ? { $ref: `#/components/schemas/${o.requestSchema}` } : { type: 'object' } } } } } : {}),
      responses: {
        200: { description: 'Success', content, ...(o.limited ? { headers: RATE_LIMIT_HEADERS } : {}) },
        400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 413: ERROR, 415: ERROR, 429: o.limited ? LIMITED : ERROR, 500: ERROR, 502: ERROR, 503: ERROR, 504: ERROR,
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
        ...ADMIN_SCHEMAS,
        AttestationReport: { type: 'object', properties: { gateway_attestation: { type: 'object', properties: { signing_address: { type: 'string' }, signing_algo: { enum: ['ecdsa', 'ed25519'] }, request_nonce: { type: 'string' }, report_data: { type: 'string' }, tls_cert_fingerprint: { type: ['string', 'null'] }, intel_quote: { type: 'string' }, event_log: {}, vm_config: {}, info: { type: 'object' }, build: { type: 'object' }, simulated: { type: 'boolean' } } }, model_attestations: { type: 'array', items: { type: 'object' }, description: "the model provider's attestation objects (NEAR's shape), each byte for byte as the provider sent it; empty without a model or when it could not be fetched" }, upstream_error: { type: 'string' } } },
      },
    },
  };
}

/** Converts a @koa/router path (`/:id`, `/*model`) to OpenAPI's (`/{id}`). */
export function toOpenApiPath(routerPath: string): string {
  return routerPath.replace(/[:*]([A-Za-z_]+)/g, '{$1}');
}
