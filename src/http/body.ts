// Bodies forwarded upstream, read as bytes (read-body.ts). The exact bytes are kept because the
// proxy forwards them unchanged and the signer hashes them as received; the parsed copy is only
// read. Bodies Cloister reads itself go through koa-body instead (src/http/routes.ts): it gives
// the raw body only as a decoded string, which cannot promise byte-for-byte forwarding
// (docs/architecture.md).
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.ts';
import type { HeaderSource } from './exchange.ts';
import { readBody } from './read-body.ts';
import { assertNoDuplicateKeys } from './json-members.ts';

export interface JsonBodyOptions {
  readonly limitBytes: number;
  /** allow an empty body (treated as no JSON) */
  readonly optional?: boolean;
  /** the 413's message (default: the limit in bytes) */
  readonly tooLarge?: string;
}

/** A request body: its exact bytes and the parsed object. */
export interface JsonBody {
  readonly raw: Buffer;
  readonly json: Record<string, unknown>;
}

/**
 * Reads and parses a JSON object body with a size limit: 415 wrong type, 413 too large,
 * 400 malformed, missing, not UTF-8, nested too deeply or repeating a key in an object (the
 * bytes are forwarded as they are, so they may mean only one thing: json-members.ts). Null
 * only when the body is optional and absent.
 */
export async function readJsonBody(req: IncomingMessage, headers: HeaderSource, options: JsonBodyOptions): Promise<JsonBody | null> {
  const length = headers.get('content-length');
  const hasBody = Number(length) > 0 || headers.get('transfer-encoding') !== '';
  if (!hasBody) {
    if (options.optional) return null;
    throw new AppError('invalid_json', 'A JSON request body is required.');
  }
  const type = headers.get('content-type');
  // The usual spellings first; then any application/json or +json type, with parameters.
  if (type !== 'application/json' && type !== 'application/json; charset=utf-8' && !isJsonMediaType(type)) {
    throw new AppError('unsupported_media_type', 'Unsupported content type; send application/json.');
  }
  let raw: Buffer;
  try {
    raw = await readBody(req, options.limitBytes, length === '' ? null : Number(length));
  } catch (e) {
    if ((e as { status?: number }).status === 413) throw new AppError('payload_too_large', options.tooLarge ?? `The request body exceeds ${options.limitBytes} bytes.`);
    throw new AppError('invalid_json', 'The request body could not be read.', { cause: e });
  }
  // Bytes that are not UTF-8 would be decoded one way here (replacement characters) and
  // perhaps another way upstream.
  if (!isUtf8(raw)) throw new AppError('invalid_json', 'The request body is not valid UTF-8.');
  const text = raw.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('invalid_json', 'We could not parse the JSON body of your request.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AppError('invalid_json', 'The JSON body must be an object.');
  }
  assertNoDuplicateKeys(text, parsed);
  return { raw, json: parsed as Record<string, unknown> };
}

/** application/json or a +json type, with or without parameters (as type-is accepts them). */
function isJsonMediaType(contentType: string): boolean {
  const essence = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return essence === 'application/json' || /^[a-z0-9!#$&^_.-]+\/[a-z0-9!#$&^_.-]+\+json$/.test(essence);
}
