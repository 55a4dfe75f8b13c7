// Authentication for /v1/*: a chain of authenticators (API key now; session cookie once
// browser sign-in is wired) sets ctx.state.principal; requireUser turns its absence into 401.
import { AppError } from '../errors.ts';
import type { Principal } from '../auth/api-keys.ts';
import type { AppContext, AppMiddleware } from './context.ts';

/** Finds the principal of a request, or null when this authenticator does not apply. */
export type Authenticator = (ctx: AppContext) => Promise<Principal | null>;

/** Bearer API keys (`Authorization: Bearer ck_…`). */
export function bearerAuthenticator(verify: (key: string) => Promise<Principal | null>): Authenticator {
  return async (ctx) => {
    const header = ctx.get('authorization');
    if (!header) return null;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new AppError('invalid_api_key', 'Malformed Authorization header; expected "Bearer <api key>".');
    const principal = await verify(m[1]!);
    if (!principal) throw new AppError('invalid_api_key', 'Incorrect API key provided.');
    return principal;
  };
}

/** Requires a principal from the first authenticator that recognises the request. */
export function requireUser(authenticators: readonly Authenticator[]): AppMiddleware {
  return async (ctx, next) => {
    if (!ctx.state.principal) {
      for (const a of authenticators) {
        const p = await a(ctx);
        if (p) {
          ctx.state.principal = p;
          break;
        }
      }
    }
    if (!ctx.state.principal) {
      throw new AppError('unauthenticated', 'You didn\'t provide an API key. Send "Authorization: Bearer <api key>" or sign in.');
    }
    await next();
  };
}
