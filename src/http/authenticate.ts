// Authentication: a chain of authenticators (API key, session cookie) finds the principal of a
// request; requireUser turns its absence into 401.
import { AppError } from '../errors.ts';
import type { Principal } from '../shared/principal.ts';
import type { AppMiddleware } from './context.ts';
import type { HeaderSource } from './exchange.ts';

/** Finds the principal of a request, or null when this authenticator does not apply. */
export type Authenticator = (headers: HeaderSource) => Promise<Principal | null>;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Bearer API keys (`Authorization: Bearer ck_…`). */
export function bearerAuthenticator(verify: (key: string) => Promise<Principal | null>): Authenticator {
  return async (headers) => {
    const header = headers.get('authorization');
    if (!header) return null;
    const m = BEARER.exec(header);
    if (!m) throw new AppError('invalid_api_key', 'Malformed Authorization header; expected "Bearer <api key>".');
    const principal = await verify(m[1]!);
    if (!principal) throw new AppError('invalid_api_key', 'Incorrect API key provided.');
    return principal;
  };
}

/** The principal from the first authenticator that recognises the request; 401 when none does. */
export async function authenticate(authenticators: readonly Authenticator[], headers: HeaderSource): Promise<Principal> {
  for (let i = 0; i < authenticators.length; i++) {
    const p = await authenticators[i]!(headers);
    if (p) return p;
  }
  throw new AppError('unauthenticated', 'You didn\'t provide an API key. Send "Authorization: Bearer <api key>" or sign in.');
}

/** Requires a principal (sets ctx.state.principal) from the first authenticator that recognises the request. */
export function requireUser(authenticators: readonly Authenticator[]): AppMiddleware {
  return async (ctx, next) => {
    ctx.state.principal ??= await authenticate(authenticators, ctx);
    await next();
  };
}
