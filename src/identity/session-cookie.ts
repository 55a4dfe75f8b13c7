// The session cookie. `__Host-` (Secure, Path=/, no Domain) when PUBLIC_URL is https; a plain
// name without Secure for http://localhost use. Written by hand because Koa's cookies refuse
// Secure cookies on the plain-http hop behind a TLS-terminating proxy.
import type { AppContext } from '../http/context.ts';
import type { HeaderSource } from '../http/exchange.ts';
import { readCookie } from '../http/cookies.ts';

export interface SessionCookie {
  readonly name: string;
  read(headers: HeaderSource): string | null;
  set(ctx: AppContext, token: string): void;
  clear(ctx: AppContext): void;
}

/** Cookie handling for a given public URL and session lifetime. */
export function sessionCookie(publicUrl: URL, maxAgeMs: number): SessionCookie {
  const secure = publicUrl.protocol === 'https:';
  const name = secure ? '__Host-cloister_session' : 'cloister_session';
  const attrs = `Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  return {
    name,
    read: (headers) => readCookie(headers, name),
    set(ctx, token) {
      ctx.append('set-cookie', `${name}=${token}; Max-Age=${Math.floor(maxAgeMs / 1000)}; ${attrs}`);
      ctx.set('cache-control', 'no-store');
    },
    clear(ctx) {
      ctx.append('set-cookie', `${name}=; Max-Age=0; ${attrs}`);
    },
  };
}
