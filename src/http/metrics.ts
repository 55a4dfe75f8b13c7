// Prometheus metrics on a per-app registry (no global registry, so several apps in one
// process — tests, replicas — never share counters).
import { Registry, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';
import type pg from 'pg';

export interface Metrics {
  readonly registry: Registry;
  readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
}

/** Creates the registry with request, pool and process metrics. */
export function createMetrics(pool: pg.Pool, options: { processMetrics: boolean }): Metrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'cloister_' });
  const requestDuration = new Histogram({
    name: 'cloister_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  const poolGauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  poolGauge('cloister_db_pool_total', 'Connections open in the database pool', () => pool.totalCount);
  poolGauge('cloister_db_pool_idle', 'Idle connections in the database pool', () => pool.idleCount);
  poolGauge('cloister_db_pool_waiting', 'Queries waiting for a database connection', () => pool.waitingCount);
  return { registry, requestDuration };
}
