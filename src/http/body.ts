// JSON request bodies, read as bytes. The exact bytes are kept (ctx.state.rawBody) because the
// proxy forwards them unchanged and the signer hashes them as received; the parsed copy
// (ctx.state.json) is only read. koa-body was dropped for this: it exposes the raw body only
// as a decoded string, which cannot promise byte-for-byte forwarding.
import getRawBody from 'raw-body';
import { AppError } from '../errors.ts';
import type { AppMiddleware } from './context.ts';

export interface JsonBodyOptions {
  readonly limitBytes: number;
  /** allow an empty body (treated as no JSON) */
  readonly optional?: boolean;
}

/** Reads and parses a JSON object body with a size limit: 415 wrong type, 413 too large, 400 malformed. */
export function jsonBody(options: JsonBodyOptions): AppMiddleware {
  return async (ctx, next) => {
    const hasBody = ctx.request.length > 0 || ctx.get('transfer-encoding') !== '';
    if (!hasBody) {
      if (options.optional) return next();
      throw new AppError('invalid_json', 'A JSON request body is required.');
    }
    const type = ctx.get('content-type');
    // The usual spellings skip type-is, which accepts them too.
    if (type !== 'application/json' && type !== 'application/json; charset=utf-8' && !ctx.is('application/json', '+json')) {
      throw new AppError('unsupported_media_type', 'Unsupported content type; send application/json.');
    }
    let raw: Buffer;
    try {
      raw = await getRawBody(ctx.req, { limit: options.limitBytes, length: ctx.get('content-length') || undefined });
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 413) throw new AppError('payload_too_large', `The request body exceeds ${options.limitBytes} bytes.`);
      throw new AppError('invalid_json', 'The request body could not be read.', { cause: e });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new AppError('invalid_json', 'We could not parse the JSON body of your request.');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new AppError('invalid_json', 'The JSON body must be an object.');
    }
    ctx.state.rawBody = raw;
    ctx.state.json = parsed;
    await next();
  };
}
