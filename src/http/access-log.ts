// One access-log line per request, from an allow-list of fields, written when the response
// is finished or aborted (so streams are logged with their real duration). Feeds the
// request-duration histogram with the same labels.
import type { Logger } from '../log.ts';
import type { Metrics } from './metrics.ts';
import type { AppMiddleware } from './context.ts';

/** Logs and measures every request. */
export function accessLog(logger: Logger, metrics: Metrics): AppMiddleware {
  // The histogram's child per label set, so a request skips prom-client's label validation and
  // hashing. Bounded like the histogram itself: HTTP methods × route patterns × status codes.
  const observers = new Map<string, { observe(value: number): void }>();
  const observe = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let child = observers.get(key);
    if (!child) {
      child = metrics.requestDuration.labels({ method, route, status: String(status) });
      observers.set(key, child);
    }
    child.observe(seconds);
  };
  return (ctx, next) => {
    const start = performance.now();
    ctx.res.once('close', () => {
      const ms = performance.now() - start;
      const route = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
      const routeLabel = typeof route === 'string' ? route : 'unmatched';
      const status = ctx.status;
      observe(ctx.method, routeLabel, status, ms / 1e3);
      logger.info({
        event: 'request',
        request_id: ctx.state.requestId,
        method: ctx.method,
        route: routeLabel,
        status,
        duration_ms: Math.round(ms * 1e3) / 1e3,
        user_id: ctx.state.principal?.userId ?? null,
        aborted: !ctx.res.writableFinished,
      });
    });
    return next();
  };
}
