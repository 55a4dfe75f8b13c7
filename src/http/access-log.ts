// One access-log line per request, from an allow-list of fields, written when the response
// is finished or aborted (so streams are logged with their real duration). Feeds the
// request-duration histogram with the same labels.
import type { Logger } from '../log.ts';
import type { Metrics } from './metrics.ts';
import type { AppMiddleware } from './context.ts';

/** Logs and measures every request. */
export function accessLog(logger: Logger, metrics: Metrics): AppMiddleware {
  return async (ctx, next) => {
    const start = process.hrtime.bigint();
    ctx.res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
      const routeLabel = typeof route === 'string' ? route : 'unmatched';
      const status = ctx.status;
      metrics.requestDuration.observe({ method: ctx.method, route: routeLabel, status: String(status) }, seconds);
      logger.info({
        event: 'request',
        request_id: ctx.state.requestId,
        method: ctx.method,
        route: routeLabel,
        status,
        duration_ms: Math.round(seconds * 1e6) / 1e3,
        user_id: ctx.state.principal?.userId ?? null,
        aborted: !ctx.res.writableFinished,
      });
    });
    await next();
  };
}
