// The one reader of the Cookie header. Authentication, the OAuth transaction and the CSRF check
// all ask it, so they can never disagree about which cookies a request carries (a hand-written
// pattern once missed `name =value`, which the authenticator's parser accepted).
import { parseCookie } from 'cookie';
import type { HeaderSource } from './exchange.ts';

/** The value of cookie `name` in the request (the first one when repeated), or null. */
export function readCookie(headers: HeaderSource, name: string): string | null {
  const header = headers.get('cookie');
  if (!header) return null;
  // Values are read as sent: Cloister's own cookies never need decoding, and a value that
  // would decode differently must not match one that does not.
  const value = parseCookie(header, { decode: (v) => v })[name];
  return value === undefined || value === '' ? null : value;
}
