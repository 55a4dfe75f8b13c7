// Operations endpoints: liveness, readiness (database reachable and migrated) and metrics.
import { timingSafeEqual, createHash } from 'node:crypto';
import Type from 'typebox';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import { pendingMigrations } from '../db/migrate.ts';
import type { Metrics } from './metrics.ts';
import { route, type Route } from './route.ts';

const READY_TIMEOUT_MS = 2_000;

/** A readiness check another capability contributes (e.g. attestation): `ready` false makes /readyz 503. */
export interface ReadinessCheck {
  readonly name: string;
  report(): Promise<{ readonly ready: boolean; readonly status: string }>;
}

/** /healthz, /readyz and /metrics. Metrics need METRICS_TOKEN as a bearer, or a loopback peer when no token is set. */
export function opsRoutes(deps: { pool: pg.Pool; metrics: Metrics; metricsToken: string | null; readiness?: readonly ReadinessCheck[] }): Route[] {
  return [
    route({
      method: 'GET', path: '/healthz', access: 'public',
      doc: { tag: 'operations', summary: 'Liveness: the process answers', response: Type.Object({ status: Type.Literal('ok') }) },
      handle(ctx) {
        ctx.body = { status: 'ok' };
      },
    }),
    route({
      method: 'GET', path: '/readyz', access: 'public',
      doc: {
        tag: 'operations', summary: 'Readiness: database reachable and migrated, attestation working where required (503 otherwise)',
        response: Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]), checks: Type.Record(Type.String(), Type.String()) }),
      },
      async handle(ctx) {
        const [database, ...extra] = await Promise.all([readiness(deps.pool), ...(deps.readiness ?? []).map((c) => c.report())]);
        const checks: Record<string, string> = { ...database };
        (deps.readiness ?? []).forEach((c, i) => { checks[c.name] = extra[i]!.status; });
        const ok = database.database === 'ok' && database.migrations === 'ok' && extra.every((r) => r.ready);
        ctx.status = ok ? 200 : 503;
        ctx.set('cache-control', 'no-store');
        ctx.body = { status: ok ? 'ready' : 'unavailable', checks };
      },
    }),
    route({
      method: 'GET', path: '/metrics', access: 'public',
      doc: { tag: 'operations', summary: 'Prometheus metrics (METRICS_TOKEN bearer, or loopback peers when unset)' },
      async handle(ctx) {
        if (!metricsAllowed(ctx.get('authorization'), ctx.req.socket.remoteAddress ?? '', deps.metricsToken)) {
          throw new AppError('not_found', `Unknown request URL: GET ${ctx.path}`);
        }
        ctx.set('content-type', deps.metrics.registry.contentType);
        ctx.body = await deps.metrics.registry.metrics();
      },
    }),
  ];
}

async function readiness(pool: pg.Pool): Promise<{ database: string; migrations: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS); });
  try {
    const pending = await Promise.race([pendingMigrations(pool), timeout]);
    return { database: 'ok', migrations: pending.length === 0 ? 'ok' : `pending: ${pending.length}` };
  } catch {
    return { database: 'unreachable', migrations: 'unknown' };
  } finally {
    clearTimeout(timer);
  }
}

function metricsAllowed(authorization: string, peer: string, token: string | null): boolean {
  if (token === null) return peer === '127.0.0.1' || peer === '::1' || peer === '::ffff:127.0.0.1';
  const given = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] ?? '';
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
