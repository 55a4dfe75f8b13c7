// Runs the audit log's retention sweep once at start and then periodically, on the clock's
// timer (it never keeps the process alive). Every replica sweeps; the deletes are idempotent.
import { describeError, type Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import type { AuditLog } from './audit-log.ts';

const HOUR_MS = 3_600_000;

export interface AuditRetention {
  /** stops the timer and waits for a sweep in progress */
  stop(): Promise<void>;
}

/** Starts the periodic sweep. */
export function startAuditRetention(audit: AuditLog, logger: Logger, clock: Clock, intervalMs = HOUR_MS): AuditRetention {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = () => {
    if (stopped) return;
    running = running.then(async () => {
      try {
        const deleted = await audit.sweep();
        if (deleted > 0) logger.info({ event: 'audit.retention_swept', deleted });
      } catch (e) {
        logger.warn({ event: 'audit.retention_failed', err: describeError(e) });
      }
    });
  };
  sweep();
  const cancel = clock.every(intervalMs, sweep);
  return {
    async stop() {
      stopped = true;
      cancel();
      await running;
    },
  };
}
