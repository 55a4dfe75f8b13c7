// Whether attestation works right now, for the readiness route and the inference path. A server
// that cannot attest must not serve inference: nobody could check what handled the prompts
// (DESIGN promise 5). The state comes from probing the dstack socket (Info, fresh, and the
// signing keys) and from failures of real calls (GetQuote, GetKey). While it is not known to
// work, /readyz answers 503 and every upstream-bound request 503 attestation_unavailable — when
// attestation is required (ATTESTATION_REQUIRED, on by default in production). It recovers by
// itself: a failed probe schedules another (backing off to 30 s), /readyz and refused requests
// re-probe, and the first success opens the gate again.
import { AppError } from '../errors.ts';
import type { Clock } from '../clock.ts';
import { describeError, type Logger } from '../log.ts';
import type { UpstreamClient } from '../upstream/client.ts';

/** The readiness route's view: `ready` false makes /readyz 503. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly status: string;
}

export interface AttestationReadiness {
  /** Attestation must work for the server to be ready and serve inference. */
  readonly required: boolean;
  /** For /readyz: probes when the last result is stale or not good, then reports. */
  report(): Promise<ReadinessReport>;
  /** For every upstream-bound request: throws 503 attestation_unavailable unless attestation is known to work (when required). */
  assertAvailable(): void;
  /** A real dstack call failed: stop serving until a probe succeeds. */
  reportFailure(e: unknown): void;
  close(): void;
}

export interface ReadinessDeps {
  /** Resolves when the socket answers and the signing keys are derived. */
  readonly probe: () => Promise<void>;
  readonly required: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  /** /readyz re-probes a good state older than this (default 5 s). */
  readonly staleMs?: number;
  /** First retry delay after a failure, doubling up to 30 s (default 1 s). */
  readonly retryMs?: number;
}

const MAX_RETRY_MS = 30_000;

/** Readiness when attestation is off: nothing to wait for, nothing to gate. */
export const ATTESTATION_OFF_READINESS: AttestationReadiness = {
  required: false,
  report: async () => ({ ready: true, status: 'off' }),
  assertAvailable: () => {},
  reportFailure: () => {},
  close: () => {},
};

/** The readiness state machine; call `report()` once to take the first reading. */
export function createAttestationReadiness(deps: ReadinessDeps): AttestationReadiness {
  const staleMs = deps.staleMs ?? 5_000;
  let state: 'unknown' | 'ok' | 'failed' = 'unknown';
  let reason = 'not checked yet';
  let checkedAt = 0;
  let inflight: Promise<void> | null = null;
  let retry: (() => void) | null = null;
  let retryDelay = deps.retryMs ?? 1_000;
  let closed = false;

  function fail(e: unknown): void {
    const wasOk = state !== 'failed';
    state = 'failed';
    reason = e instanceof Error && e.message ? e.message : 'dstack did not answer';
    if (wasOk) deps.logger.error({ event: 'attestation.unavailable', detail: reason, err: describeError(e), serving: deps.required ? 'no inference until it recovers' : 'inference continues (ATTESTATION_REQUIRED=false)' });
    scheduleRetry();
  }

  function scheduleRetry(): void {
    if (closed || retry) return;
    retry = deps.clock.after(retryDelay, () => {
      retry = null;
      void probe();
    });
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
  }

  function probe(): Promise<void> {
    inflight ??= deps.probe().then(
      () => {
        if (state === 'failed') deps.logger.info({ event: 'attestation.recovered' });
        state = 'ok';
        reason = 'ok';
        retryDelay = deps.retryMs ?? 1_000;
      },
      (e: unknown) => fail(e),
    ).finally(() => {
      checkedAt = deps.clock.now().getTime();
      inflight = null;
    });
    return inflight;
  }

  return {
    required: deps.required,
    async report() {
      if (state !== 'ok' || deps.clock.now().getTime() - checkedAt >= staleMs) await probe();
      const status = state === 'ok' ? 'ok' : `unavailable: ${reason}`;
      return { ready: state === 'ok' || !deps.required, status: deps.required || state === 'ok' ? status : `${status} (not required: ATTESTATION_REQUIRED=false)` };
    },
    assertAvailable() {
      if (!deps.required || state === 'ok') return;
      // A refused request re-probes, at most once a second (the retry timer covers idle times).
      if (deps.clock.now().getTime() - checkedAt >= 1_000) void probe();
      throw new AppError('attestation_unavailable', `attestation unavailable: ${reason}`);
    },
    reportFailure(e) {
      if (state === 'ok') fail(e);
    },
    close() {
      closed = true;
      retry?.();
      retry = null;
    },
  };
}

/**
 * The model API as the proxy routes see it: unreachable while attestation is unavailable. Every
 * proxy route asks `configured` before it reads a body or takes a rate-limit token, so that is
 * where the gate answers 503; `open` and `fetch` check again, so no route can get past it.
 */
export function gateUpstream(upstream: UpstreamClient, readiness: AttestationReadiness): UpstreamClient {
  return {
    get configured() {
      readiness.assertAvailable();
      return upstream.configured;
    },
    open(req, sink) {
      readiness.assertAvailable();
      return upstream.open(req, sink);
    },
    fetch(req, options) {
      try {
        readiness.assertAvailable();
      } catch (e) {
        return Promise.reject(e);
      }
      return upstream.fetch(req, options);
    },
    close: () => upstream.close(),
  };
}
