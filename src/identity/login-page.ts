// The minimal sign-in page at /login: static HTML and one same-origin script (the CSP forbids
// inline scripts). The full web app signs in through the same /v1/auth routes.
import { readFileSync } from 'node:fs';
import { route, type Route } from '../http/route.ts';

/** GET /login and GET /login.js. */
export function loginPageRoutes(): Route[] {
  const html = readFileSync(new URL('./login/login.html', import.meta.url));
  const js = readFileSync(new URL('./login/login.js', import.meta.url));
  return [
    route({
      method: 'GET', path: '/login', access: 'public', doc: { tag: 'sign-in', summary: 'Minimal sign-in page' },
      handle(ctx) {
        ctx.type = 'text/html; charset=utf-8';
        ctx.set('cache-control', 'no-store');
        ctx.body = html;
      },
    }),
    route({
      method: 'GET', path: '/login.js', access: 'public', doc: { tag: 'sign-in', summary: 'Script of the sign-in page' },
      handle(ctx) {
        ctx.type = 'text/javascript; charset=utf-8';
        ctx.set('cache-control', 'no-cache');
        ctx.body = js;
      },
    }),
  ];
}
