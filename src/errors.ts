// One closed list of error codes. Each maps to an HTTP status and an OpenAI error `type`;
// the renderer in http/error-renderer.ts turns any AppError into OpenAI's error body.

const TABLE = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_nonce: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'invalid_request_error' },
  unauthenticated: { status: 401, type: 'invalid_request_error' },
  forbidden: { status: 403, type: 'invalid_request_error' },
  csrf_rejected: { status: 403, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  conflict: { status: 409, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  insufficient_quota: { status: 429, type: 'insufficient_quota' },
  internal_error: { status: 500, type: 'server_error' },
  upstream_error: { status: 502, type: 'server_error' },
  identity_provider_error: { status: 502, type: 'server_error' },
  upstream_not_configured: { status: 503, type: 'server_error' },
  service_unavailable: { status: 503, type: 'server_error' },
  attestation_unavailable: { status: 503, type: 'server_error' },
  upstream_timeout: { status: 504, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorCode = keyof typeof TABLE;

export interface AppErrorOptions {
  /** the request parameter at fault, as OpenAI's `param` */
  readonly param?: string | null;
  readonly cause?: unknown;
  /** extra response headers, e.g. retry-after */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The only error type the HTTP layer renders with its own message; everything else is a generic 500. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = TABLE[code].status;
    this.type = TABLE[code].type;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  /** OpenAI's error body; 5xx messages are generic so internals never leak. */
  toBody(): { error: { message: string; type: string; param: string | null; code: string } } {
    return { error: { message: this.status >= 500 ? publicMessage(this.code) : this.message, type: this.type, param: this.param, code: this.code } };
  }
}

function publicMessage(code: ErrorCode): string {
  switch (code) {
    case 'upstream_not_configured': return 'No model upstream is configured on this server (OPENAI_BASE_URL is unset).';
    case 'upstream_timeout': return 'The model upstream did not answer in time.';
    case 'upstream_error': return 'The model upstream failed to answer.';
    case 'identity_provider_error': return 'The sign-in provider could not be reached or answered unexpectedly; try again.';
    case 'attestation_unavailable': return 'Attestation is temporarily unavailable.';
    case 'service_unavailable': return 'The service is temporarily unavailable.';
    default: return 'The server had an error while processing your request.';
  }
}

/** Status and type for a code, for places that render without throwing (SSE error events). */
export function describeCode(code: ErrorCode): { status: number; type: string } {
  return TABLE[code];
}

/** Whether a value is an AppError (also across module copies). */
export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}
