// Prometheus metrics on a per-app registry (no global registry, so several apps in one
// process — tests, replicas — never share counters).
import { Registry, Histogram, Gauge, Counter, collectDefaultMetrics } from 'prom-client';
import type pg from 'pg';

export interface Metrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  /** inference limits checks by what answered them: a database round trip or the principal watch */
  readonly limitChecks: Counter<'answered_by'>;
}

/** Creates the registry with request, pool and process metrics. */
export function createMetrics(pool: pg.Pool, options: { processMetrics: boolean; watchListening?: () => boolean }): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'cloister_' });
  const requestDuration = new Histogram({
    name: 'cloister_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  gauge('cloister_db_pool_total', 'Connections open in the database pool', () => pool.totalCount);
  gauge('cloister_db_pool_idle', 'Idle connections in the database pool', () => pool.idleCount);
  gauge('cloister_db_pool_waiting', 'Queries waiting for a database connection', () => pool.waitingCount);
  const limitChecks = new Counter({
    name: 'cloister_limit_checks_total',
    help: 'Inference limits checks by what answered them (database: a round trip; watch: a live, unlimited user remembered)',
    labelNames: ['answered_by'] as const,
    registers: [registry],
  });
  const listening = options.watchListening;
  if (listening) gauge('cloister_limits_watch_listening', '1 while this replica hears every change to users and keys', () => (listening() ? 1 : 0));
  return { registry, requestDuration, limitChecks };
}
