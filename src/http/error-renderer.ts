// Turns every failure into OpenAI's error body plus x-request-id. Foreign errors that carry
// an HTTP status (body parser, router) map onto our codes; anything else is a generic 500
// whose details go to the log only, without its message.
import type { Logger } from '../log.ts';
import { describeError } from '../log.ts';
import { AppError, type ErrorCode } from '../errors.ts';

const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_json', 404: 'not_found', 405: 'method_not_allowed', 413: 'payload_too_large', 415: 'unsupported_media_type',
};

/** Normalises any thrown value into an AppError. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  const status = (e as { status?: unknown; statusCode?: unknown })?.status ?? (e as { statusCode?: unknown })?.statusCode;
  if (typeof status === 'number' && BY_STATUS[status]) {
    const code = BY_STATUS[status]!;
    return new AppError(code, defaultMessage(code), { cause: e });
  }
  return new AppError('internal_error', 'internal error', { cause: e });
}

function defaultMessage(code: ErrorCode): string {
  switch (code) {
    case 'invalid_json': return 'We could not parse the JSON body of your request.';
    case 'payload_too_large': return 'The request body is too large.';
    case 'unsupported_media_type': return 'Unsupported content type; send application/json.';
    case 'method_not_allowed': return 'Method not allowed for this URL.';
    default: return 'Not found.';
  }
}

/** The content type of every error body. */
export const ERROR_CONTENT_TYPE = 'application/json; charset=utf-8';

/** What an error answers: its status, its headers (retry-after, x-should-retry) and the OpenAI-shaped body. */
export function errorResponse(err: AppError): { status: number; headers: Array<[string, string]>; body: string } {
  const headers = Object.entries(err.headers);
  if (err.status < 500 && err.status !== 429 && err.status !== 408 && err.status !== 409) headers.push(['x-should-retry', 'false']);
  return { status: err.status, headers, body: JSON.stringify(err.toBody()) };
}

/**
 * Logs a failure an operator should hear of. Our own failures (internal_error) at error, with
 * where they happened; the expected refusals of a running service — the upstream or a sign-in
 * provider down or slow, no upstream configured, attestation or limits unavailable — at warn,
 * by code and the cause's type only, no stack. Client errors (4xx) are the access log's line.
 */
export function logServerError(logger: Logger, requestId: string, err: AppError): void {
  if (err.status < 500) return;
  if (err.code === 'internal_error') {
    logger.error({ event: 'request.error', request_id: requestId, error_code: err.code, err: describeError(err.cause ?? err) });
    return;
  }
  const cause = err.cause instanceof Error ? err.cause as Error & { code?: unknown } : null;
  logger.warn({
    event: 'request.refused', request_id: requestId, error_code: err.code,
    ...(cause ? { err: { type: cause.name, code: typeof cause.code === 'string' ? cause.code : undefined } } : {}),
  });
}

/** The error of a request no route answered. */
export function unknownUrl(method: string, path: string): AppError {
  return new AppError('not_found', `Unknown request URL: ${method} ${path.slice(0, 200)}`);
}
