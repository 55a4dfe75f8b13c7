// The minimal sign-in page at /login: static HTML and one same-origin script (the CSP forbids
// inline scripts). The full web app signs in through the same /v1/auth routes.
import { readFileSync } from 'node:fs';
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import type { AppState } from '../http/context.ts';

/** Serves GET /login and GET /login.js. */
export function createLoginPageRouter(): Router<AppState> {
  const html = readFileSync(new URL('./login/login.html', import.meta.url));
  const js = readFileSync(new URL('./login/login.js', import.meta.url));
  const router = createRouter();
  router.get('/login', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-store');
    ctx.body = html;
  });
  router.get('/login.js', (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.set('cache-control', 'no-cache');
    ctx.body = js;
  });
  return router;
}
