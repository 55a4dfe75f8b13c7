// Every failure a person can meet, in plain words. Raw browser text (DOMException messages) and
// raw server or provider text never reach the screen: codes and statuses pick the sentence.
import { ApiError } from './http.ts';

export interface Explained {
  /** one or two sentences for people */
  text: string;
  /** when waiting helps: the moment (ms since epoch) a retry can succeed, for a live countdown */
  retryAt?: number;
  /** a budget's reset moment (ms since epoch), shown as a local time */
  resetsAt?: number;
}

/** What went wrong and what to do, for people (not only developers). */
export function explainError(e: unknown, now = Date.now()): Explained {
  if (e instanceof ApiError) return explainApiError(e, now);
  if (e instanceof DOMException) {
    if (e.name === 'AbortError') return { text: 'Stopped.' };
    // navigator.credentials.create with a credential this authenticator already holds
    if (e.name === 'InvalidStateError') return { text: 'This passkey is already registered here. Use "Sign in with a passkey" instead, or pick another passkey.' };
    if (e.name === 'NotAllowedError') return { text: 'The passkey prompt was cancelled or timed out. Try again when you are ready.' };
    if (e.name === 'SecurityError') return { text: 'This browser refused to use passkeys on this address. Open the server by its host name over HTTPS (or localhost).' };
    if (e.name === 'NotSupportedError') return { text: 'This browser or device cannot create a passkey of the kind this server asks for.' };
  }
  if (e instanceof TypeError || (typeof navigator !== 'undefined' && navigator.onLine === false)) {
    return { text: 'You appear to be offline, or the server cannot be reached. Check your connection and try again.' };
  }
  return { text: 'Something went wrong. Try again, and reload the page if it keeps happening.' };
}

/** Plain-language text of an error (see explainError). */
export function describeError(e: unknown): string {
  return explainError(e).text;
}

function explainApiError(e: ApiError, now: number): Explained {
  const retryAt = e.retryAfterSeconds !== null ? now + e.retryAfterSeconds * 1000 : undefined;
  switch (e.code) {
    case 'insufficient_quota':
      return retryAt !== undefined
        ? { text: 'You have used up your token budget for now.', resetsAt: retryAt, retryAt }
        : { text: 'You have used up your token budget for now. It resets at the start of the next budget period.' };
    case 'rate_limit_exceeded':
      return { text: 'Too many messages in a short time.', retryAt: retryAt ?? now + 30_000 };
    case 'model_not_found':
      return { text: 'That model is not available on this server. Pick another model and send again.' };
    case 'payload_too_large':
      return { text: 'This message with its attachments is too large for the server. Remove an attachment or use a smaller file.' };
    case 'upstream_not_configured':
      return { text: 'This server has no model provider set up yet, so it cannot answer. Its operator needs to configure one.' };
    case 'upstream_timeout':
      return { text: 'The model provider took too long to answer. Try again in a moment.' };
    case 'upstream_error':
      return { text: 'The model provider is having trouble and could not answer. Try again in a moment.' };
    case 'context_length_exceeded':
      return { text: 'This conversation has become too long for the model. Start a new conversation, or edit an earlier message to shorten it.' };
  }
  if (e.status === 429) return { text: 'Too many requests in a short time.', retryAt: retryAt ?? now + 30_000 };
  if (e.status === 401) return { text: 'You have been signed out. Sign in again.' };
  if (e.status === 403) return { text: 'Your account is not allowed to do this.' };
  if (e.status === 404) return { text: 'Not found. It was deleted, or it belongs to another account.' };
  if (e.status === 413) return { text: 'This is too large for the server. Use a smaller file or a shorter message.' };
  if (e.status === 502) return { text: 'The model provider is having trouble and could not answer. Try again in a moment.' };
  if (e.status === 504) return { text: 'The model provider took too long to answer. Try again in a moment.' };
  if (e.status === 503) return { text: 'The server is not ready to answer right now. Try again in a moment.', retryAt };
  if (e.status >= 500) return { text: 'The server had a problem with this request. Try again in a moment.' };
  return { text: 'The server did not accept this request. Check what you entered and try again.' };
}

/** "42 s", "3 min", "2 h 5 min": a wait for people. */
export function formatWait(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 ? `${h} h ${min % 60} min` : `${h} h`;
}
