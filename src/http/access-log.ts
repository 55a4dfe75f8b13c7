// One access-log line per request, from an allow-list of fields, written when the response
// is finished or aborted (so streams are logged with their real duration). Feeds the
// request-duration histogram with the same labels.
import type { ServerResponse } from 'node:http';
import { infoLineWriter, type Logger } from '../log.ts';
import type { Metrics } from './metrics.ts';
import type { AppContext } from './context.ts';

/** What the access log records of one request. */
export interface RequestRecord {
  readonly requestId: string;
  readonly method: string;
  /** the route pattern, never the path (it may hold ids); null when no route answered */
  readonly route: string | null;
  readonly status: number;
  readonly ms: number;
  readonly userId: string | null;
  /** the response did not finish (the client left, or the connection broke) */
  readonly aborted: boolean;
}

/** Writes a request's log line and observes its duration. */
export type RequestLog = (r: RequestRecord) => void;

/** The access log and request-duration histogram of one app. */
export function requestLog(logger: Logger, metrics: Metrics): RequestLog {
  const line = infoLineWriter(logger);
  // The histogram's child per label set, so a request skips prom-client's label validation and
  // hashing. Bounded like the histogram itself: HTTP methods × route patterns × status codes.
  const observers = new Map<string, { observe(value: number): void }>();
  return (r) => {
    const route = r.route ?? UNMATCHED;
    const key = `${r.method} ${r.status} ${route}`;
    let child = observers.get(key);
    if (!child) {
      child = metrics.requestDuration.labels({ method: r.method, route, status: String(r.status) });
      observers.set(key, child);
    }
    child.observe(r.ms / 1e3);
    // The allow-list, as JSON members: every string through JSON.stringify, numbers and
    // booleans as they print (status is an integer; a duration is always finite).
    line(`"event":"request","request_id":${JSON.stringify(r.requestId)},"method":${JSON.stringify(r.method)},"route":${r.route === null ? 'null' : JSON.stringify(r.route)},"status":${r.status},"duration_ms":${Math.round(r.ms * 1e3) / 1e3},"user_id":${r.userId === null ? 'null' : JSON.stringify(r.userId)},"aborted":${r.aborted}`);
  };
}

/** The metrics label of requests no route answered: it cannot be mistaken for a route pattern. */
const UNMATCHED = '(unmatched)';

/** Whether a response went out whole. */
export function aborted(res: ServerResponse): boolean {
  return !res.writableFinished;
}

/** What the access log records of a request that started at `start` (performance.now()) and has ended. */
export function recordOf(ctx: AppContext, start: number): RequestRecord {
  const route = ctx.state.route ?? (ctx as unknown as { _matchedRoute?: unknown })._matchedRoute;
  return {
    requestId: ctx.state.requestId,
    method: ctx.method,
    route: typeof route === 'string' ? route : null,
    status: ctx.status,
    ms: performance.now() - start,
    userId: ctx.state.principal?.userId ?? null,
    aborted: aborted(ctx.res),
  };
}
