// Authentication for /v1/*: a chain of authenticators (API key, session cookie) finds the
// principal of a request; requireUser turns its absence into 401. An authenticator that knows
// the answer at once (a cached API key) gives it without a promise: the inference routes run it
// on every request.
import { AppError } from '../errors.ts';
import type { Principal } from '../shared/principal.ts';
import type { AppMiddleware } from './context.ts';
import type { HeaderSource } from './request-io.ts';

type MaybePromise<T> = T | Promise<T>;

/** Finds the principal of a request, or null when this authenticator does not apply. */
export type Authenticator = (headers: HeaderSource) => MaybePromise<Principal | null>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function wrongKey(principal: Principal | null): Principal {
  if (!principal) throw new AppError('invalid_api_key', 'Incorrect API key provided.');
  return principal;
}

/** Bearer API keys (`Authorization: Bearer ck_…`). */
export function bearerAuthenticator(verify: (key: string) => MaybePromise<Principal | null>): Authenticator {
  return (headers) => {
    const header = headers.get('authorization');
    if (!header) return null;
    const m = BEARER.exec(header);
    if (!m) throw new AppError('invalid_api_key', 'Malformed Authorization header; expected "Bearer <api key>".');
    const principal = verify(m[1]!);
    return principal instanceof Promise ? principal.then(wrongKey) : wrongKey(principal);
  };
}

function unauthenticated(): never {
  throw new AppError('unauthenticated', 'You didn\'t provide an API key. Send "Authorization: Bearer <api key>" or sign in.');
}

/** The rest of the chain once one authenticator answered with a promise. */
async function authenticateFrom(authenticators: readonly Authenticator[], from: number, pending: Promise<Principal | null>, headers: HeaderSource): Promise<Principal> {
  const first = await pending;
  if (first) return first;
  for (let i = from + 1; i < authenticators.length; i++) {
    const p = await authenticators[i]!(headers);
    if (p) return p;
  }
  return unauthenticated();
}

/** The principal from the first authenticator that recognises the request (401 when none does); a promise only when one had to look something up. */
export function authenticate(authenticators: readonly Authenticator[], headers: HeaderSource): MaybePromise<Principal> {
  for (let i = 0; i < authenticators.length; i++) {
    const p = authenticators[i]!(headers);
    if (p instanceof Promise) return authenticateFrom(authenticators, i, p, headers);
    if (p) return p;
  }
  return unauthenticated();
}

/** Requires a principal (sets ctx.state.principal) from the first authenticator that recognises the request. */
export function requireUser(authenticators: readonly Authenticator[]): AppMiddleware {
  return async (ctx, next) => {
    ctx.state.principal ??= await authenticate(authenticators, ctx);
    await next();
  };
}
