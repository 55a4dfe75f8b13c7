// Cloister's own follow-up on background responses: a user may never read a background response
// back through Cloister, and its usage would then be known only by the estimate its reservation
// was charged when the wait ended. So every BUDGET_BACKGROUND_CHECK_SECONDS each replica claims
// a batch of responses still owed (claimed for one interval, so replicas share the work and ask
// about each once), asks upstream for each, and charges the ones it shows finished — the same
// charge, once, as a GET by the user. A response upstream no longer knows (404) is charged its
// reservation. What upstream answers is read only for its status and usage.
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { describeError, type Logger } from '../log.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { InferenceLimits } from '../limits/inference-guard.ts';
import { parseObject } from './answer.ts';
import { chargeFinishedResponse } from './response-usage.ts';

/** Responses asked about per replica and round: a bound on the upstream requests one round makes. */
const PER_ROUND = 100;
/** How long one question to upstream may take. */
const FETCH_TIMEOUT_MS = 30_000;

export interface BackgroundFollowUp {
  /** one round: claims the responses due, asks upstream, charges the finished ones; resolves to how many were charged */
  runOnce(): Promise<number>;
  close(): void;
}

/** Starts the follow-up (a timer every `intervalMs`; nothing when no upstream is configured). */
export function startBackgroundFollowUp(deps: {
  upstream: UpstreamClient; limits: Pick<InferenceLimits, 'chargeResponse' | 'responsesToCheck'>; logger: Logger; clock: Clock; intervalMs: number;
}): BackgroundFollowUp {
  const { upstream, limits, logger } = deps;
  let running: Promise<number> | null = null;

  async function ask(userId: string, responseId: string): Promise<boolean> {
    const requestId = randomUUID();
    const answer = await upstream.fetch({ method: 'GET', path: `/responses/${responseId}`, clientHeaders: {}, requestId }, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (answer.status === 404) return limits.chargeResponse(userId, responseId, null); // gone: its usage can never be seen
    if (answer.status < 200 || answer.status >= 300) return false; // asked again next round
    const body = parseObject(answer.body.toString('utf8'));
    if (body === null) return false;
    let charged = false;
    const observer = chargeFinishedResponse({
      charge: async (u, r, usage) => { charged = await limits.chargeResponse(u, r, usage); },
      userId, responseId, logger, requestId,
    });
    await observer.onJson?.(body);
    return charged;
  }

  async function round(): Promise<number> {
    let charged = 0;
    const due = await limits.responsesToCheck(PER_ROUND);
    for (const { userId, responseId } of due) {
      try {
        if (await ask(userId, responseId)) charged++;
      } catch (e) {
        logger.warn({ event: 'limits.follow_up_failed', err: describeError(e) });
      }
    }
    return charged;
  }

  const runOnce = (): Promise<number> => {
    if (!upstream.configured) return Promise.resolve(0);
    running ??= round().finally(() => { running = null; });
    return running;
  };
  const close = deps.clock.every(deps.intervalMs, () => {
    runOnce().catch((e: unknown) => logger.warn({ event: 'limits.follow_up_failed', err: describeError(e) }));
  });
  return { runOnce, close };
}
