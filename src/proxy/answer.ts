// What both relay paths do with an upstream answer: pass back the allowed headers, pass on
// upstream's own OpenAI-shaped refusals (and nothing else of its errors), parse copies, hash.
import { hash } from 'node:crypto';
import { AppError } from '../errors.ts';
import type { RequestIo } from '../http/exchange.ts';
import { passedBack, type UpstreamHeaders } from '../upstream/client.ts';

/** Copies upstream's rate-limit and timing headers onto the response (a guard's own win). */
export function passBackHeaders(io: RequestIo, headers: UpstreamHeaders): void {
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || !passedBack(name)) continue;
    if (io.has(name)) continue; // the limits already set their own
    io.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
}

/**
 * Upstream said no: its own OpenAI-shaped 4xx error is passed through (with retry-after etc.);
 * anything else becomes a generic 502.
 */
export function upstreamRefusal(status: number, body: Buffer): { status: number; body: Buffer } | AppError {
  if (status >= 400 && status < 500 && isOpenAiError(body)) return { status, body };
  return new AppError('upstream_error', 'upstream failure');
}

function isOpenAiError(body: Buffer): boolean {
  const parsed = parseObject(body.toString('utf8')) as { error?: unknown } | null;
  return parsed !== null && typeof parsed.error === 'object' && parsed.error !== null && typeof (parsed.error as { message?: unknown }).message === 'string';
}

/** Passes an upstream refusal on (upstream's bytes and type), or throws the generic error. */
export function respondRefusal(io: RequestIo, status: number, headers: UpstreamHeaders, body: Buffer): void {
  const refusal = upstreamRefusal(status, body);
  if (refusal instanceof AppError) throw refusal;
  io.send(refusal.status, contentTypeOf(headers, 'application/json'), refusal.body);
}

/** A JSON object from text, or null (not JSON, or not an object). */
export function parseObject(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** Whether a content type names JSON. */
export function isJsonType(contentType: string): boolean {
  return contentType.includes('json');
}

/** sha256 hex of bytes (one-shot: no Hash object for a body already in memory). */
export function sha256(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}

/** The content type of an upstream answer as one string. */
export function contentTypeOf(headers: UpstreamHeaders, fallback: string): string {
  const v = headers['content-type'];
  return typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : fallback;
}
