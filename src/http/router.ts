// Every router of the application comes from here: case-sensitive and strict, so a route
// matches only the path exactly as it was registered (`/v1/admin/users`, never
// `/V1/ADMIN/users` or `/v1/admin/users/`). routes.ts makes every router with it, and the
// canonical-path check (canonical-path.ts) refuses the remaining spellings before routing.
import Router from '@koa/router';
import type { AppState } from './context.ts';

export interface RouterSpec {
  readonly prefix?: string;
  /** answer no 405 or OPTIONS for its paths: another method is an unknown URL (the admin surface) */
  readonly hidden?: boolean;
}

/** A router that matches paths only as registered (case-sensitive, no optional trailing slash). */
export function createRouter(options: RouterSpec = {}): Router<AppState> {
  return new Router<AppState>({ prefix: options.prefix, sensitive: true, strict: true, hidden: options.hidden === true });
}

/** Whether a router answers no 405 or OPTIONS of its own (see RouterSpec.hidden). */
export function isHiddenRouter(router: Router<AppState>): boolean {
  return router.opts.hidden === true;
}

/** Whether a router was built by createRouter (matching is case-sensitive and strict). */
export function isStrictRouter(router: Router<AppState>): boolean {
  return router.opts.sensitive === true && router.opts.strict === true;
}
