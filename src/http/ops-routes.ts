// Operations endpoints: liveness, readiness (database reachable and migrated) and metrics.
import { timingSafeEqual, createHash } from 'node:crypto';
import type Router from '@koa/router';
import { createRouter } from './router.ts';
import type pg from 'pg';
import { AppError } from '../errors.ts';
import { pendingMigrations } from '../db/migrate.ts';
import type { Metrics } from './metrics.ts';
import type { AppState } from './context.ts';

const READY_TIMEOUT_MS = 2_000;

/** A readiness check another capability contributes (e.g. attestation): `ready` false makes /readyz 503. */
export interface ReadinessCheck {
  readonly name: string;
  report(): Promise<{ readonly ready: boolean; readonly status: string }>;
}

/** /healthz, /readyz and /metrics. Metrics need METRICS_TOKEN as a bearer, or a loopback peer when no token is set. */
export function createOpsRouter(deps: { pool: pg.Pool; metrics: Metrics; metricsToken: string | null; readiness?: readonly ReadinessCheck[] }): Router<AppState> {
  const router = createRouter();

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    const [database, ...extra] = await Promise.all([readiness(deps.pool), ...(deps.readiness ?? []).map((c) => c.report())]);
    const checks: Record<string, string> = { ...database };
    (deps.readiness ?? []).forEach((c, i) => { checks[c.name] = extra[i]!.status; });
    const ok = database.database === 'ok' && database.migrations === 'ok' && extra.every((r) => r.ready);
    ctx.status = ok ? 200 : 503;
    ctx.set('cache-control', 'no-store');
    ctx.body = { status: ok ? 'ready' : 'unavailable', checks };
  });

  router.get('/metrics', async (ctx) => {
    if (!metricsAllowed(ctx.get('authorization'), ctx.req.socket.remoteAddress ?? '', deps.metricsToken)) {
      throw new AppError('not_found', `Unknown request URL: GET ${ctx.path}`);
    }
    ctx.set('content-type', deps.metrics.registry.contentType);
    ctx.body = await deps.metrics.registry.metrics();
  });

  return router;
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
