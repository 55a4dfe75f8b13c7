// The OpenAPI 3.1 document, generated from the route declarations (route.ts): paths, methods,
// who may call each, path and query parameters, request bodies and Cloister's own answers are
// the very schemas the routes validate with (TypeBox schemas are JSON Schema, which OpenAPI 3.1
// uses as it is). Bodies forwarded upstream and answers passed through are OpenAI's objects.
import type { TSchema } from 'typebox';
import type { Route } from './route.ts';

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
const OPENAI_OBJECT = { type: 'object', description: 'OpenAI-compatible object, as upstream sent it' };
const SSE = { schema: { type: 'string', description: 'Server-sent events relayed byte for byte; `: ping` comments while upstream is silent; a final `event: error` on failure' } };

/** A @koa/router path (`/:id`) as OpenAPI's (`/{id}`). */
export function toOpenApiPath(routerPath: string): string {
  return routerPath.replace(/:([A-Za-z_]+)/g, '{$1}');
}

/** The properties of an object schema, as OpenAPI parameters. */
function parameters(schema: TSchema | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const s = schema as { properties?: Record<string, TSchema>; required?: string[] };
  return Object.entries(s.properties ?? {}).map(([name, prop]) => ({
    name, in: where, required: where === 'path' || (s.required ?? []).includes(name), schema: prop,
  }));
}

function operationId(method: string, path: string): string {
  return `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`;
}

/** Builds the document for a server at `serverUrl` serving `routes`. */
export function buildOpenApiDocument(routes: readonly Route[], serverUrl: string, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = toOpenApiPath(r.path);
    const params = [...parameters(r.params, 'path'), ...parameters(r.query, 'query')];
    const content: Record<string, unknown> = { 'application/json': { schema: r.doc.response ?? OPENAI_OBJECT } };
    if (r.doc.stream) content['text/event-stream'] = SSE;
    const body = r.body
      ? { required: r.body.optional !== true, content: { 'application/json': { schema: 'json' in r.body ? r.body.json : r.body.checked ?? OPENAI_OBJECT } } }
      : null;
    paths[path] ??= {};
    paths[path]![r.method.toLowerCase()] = {
      summary: r.doc.summary,
      tags: [r.doc.tag],
      operationId: operationId(r.method, path),
      ...(params.length ? { parameters: params } : {}),
      security: r.access === 'public' ? [] : [{ bearer: [] }, { session: [] }],
      ...(r.access === 'admin' ? { description: 'Admins only (users.is_admin). Anyone else gets the 404 of an unknown URL.' } : {}),
      ...(body ? { requestBody: body } : {}),
      responses: {
        [r.doc.status ?? 200]: { description: 'Success', content, ...(r.doc.limited ? { headers: RATE_LIMIT_HEADERS } : {}) },
        400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR, 413: ERROR, 415: ERROR, 429: r.doc.limited ? LIMITED : ERROR, 500: ERROR, 502: ERROR, 503: ERROR, 504: ERROR,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Cloister', version, description: 'Confidential, OpenAI-compatible chat proxy. Every id is ownership-checked; request bodies go upstream byte for byte; replies are signed by keys bound into a TDX attestation.' },
    servers: [{ url: serverUrl }],
    tags: [...new Set(routes.map((r) => r.doc.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API key ck_<prefix>_<secret>' },
        session: { type: 'apiKey', in: 'cookie', name: 'cloister_session', description: '__Host-cloister_session on https; unsafe requests need an allowed Origin' },
      },
      responses: { Error: { description: 'OpenAI-shaped error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['message', 'type', 'param', 'code'], properties: { message: { type: 'string' }, type: { type: 'string' }, param: { type: ['string', 'null'] }, code: { type: ['string', 'null'] } } } } },
      },
    },
  };
}
