// A stored response read back (GET /v1/responses/{id}, its `?stream=true` resumption, a cancel):
// when upstream shows it finished, its usage is charged to the limits — for a background
// response, the first such sighting is where its usage becomes known. The charge happens once
// whichever replica or route sees it first (the limits remove the reservation row that waits for
// it); for a response that owed nothing it is a no-op. Charged before the bytes that show it go
// on, so a client reading its usage never races the charge.
import type { Logger } from '../log.ts';
import type { Observer } from './relay-types.ts';
import { readUsage } from './exchange-tracker.ts';
import { FINAL_RESPONSE_EVENTS } from './revealed-items.ts';

/** A finished response's usage (null: it finished without usable usage). */
export type ChargeResponse = (userId: string, responseId: string, usage: { inputTokens: number; outputTokens: number } | null) => Promise<unknown>;

/** Statuses of a response that will not change any more. */
const FINISHED: ReadonlySet<string> = new Set(['completed', 'incomplete', 'failed', 'cancelled']);
/** A final Responses event named only by the `type` in its data (a stream without `event:` lines). */
const FINAL_TYPE = /"type"\s*:\s*"response\.(completed|incomplete|failed)"/;

/** The observer that charges response `responseId`'s usage once upstream shows it finished. */
export function chargeFinishedResponse(o: { charge: ChargeResponse; userId: string; responseId: string; logger: Logger; requestId: string }): Observer {
  let charged = false;
  const charge = async (response: Record<string, unknown>) => {
    if (charged || response.id !== o.responseId || typeof response.status !== 'string' || !FINISHED.has(response.status)) return;
    charged = true;
    const reading = readUsage(response.usage);
    if (reading !== null && 'refused' in reading) {
      o.logger.warn({ event: 'usage.refused', request_id: o.requestId, kind: 'response', field: reading.refused.field, problem: reading.refused.problem });
    }
    await o.charge(o.userId, o.responseId, reading !== null && 'usage' in reading ? reading.usage : null);
  };
  return {
    onJson: (body) => charge(body),
    wants: (event, data) => (event !== undefined ? FINAL_RESPONSE_EVENTS.has(event) : FINAL_TYPE.test(data)),
    onEvent(_event, data) {
      const response = data.response;
      return response !== null && typeof response === 'object' ? charge(response as Record<string, unknown>) : undefined;
    },
  };
}
