// event_log.replay: the event log the report carries must replay to the RTMRs the quote signs,
// with every dstack runtime-event digest recomputed from its name and payload (V1 and V2; see
// src/tdx/event-log.ts). Only RTMR3 events up to `system-ready` are boot measurements; later
// (application) events are listed but never used as evidence for compose-hash and friends, and
// a boot measurement dstack makes once must appear once.
import { bytesToHex } from '../tdx/bytes.ts';
import { DSTACK_EVENT_TYPE, parseEventLog, replayRtmrs, type RtmrReplay } from '../tdx/event-log.ts';
import type { TdxQuote } from '../tdx/quote-parse.ts';
import { errorText, fail, pass } from './check.ts';
import { tcbInfoOf } from './compose-checks.ts';
import type { Check, GatewayAttestation } from './types.ts';

/** The boot events dstack emits exactly once; the verifier reads their payloads. */
const SINGLE_BOOT_EVENTS = ['app-id', 'compose-hash', 'instance-id', 'mr-kms', 'os-image-hash', 'key-provider'];

/** event_log.replay; returns the replay when it matched, for the compose checks. */
export function checkEventLog(q: TdxQuote, g: GatewayAttestation): { check: Check; replay?: RtmrReplay } {
  const tcb = tcbInfoOf(g);
  const source = g.event_log ?? tcb?.['event_log'];
  if (source === undefined || source === null || source === '') return { check: fail('event_log.replay', 'report has no event log') };
  let replay: RtmrReplay;
  try {
    replay = replayRtmrs(parseEventLog(source));
  } catch (e) {
    return { check: fail('event_log.replay', errorText(e)) };
  }
  const quoted = [q.body.rtmr0, q.body.rtmr1, q.body.rtmr2, q.body.rtmr3];
  for (let i = 0; i < 4; i++) {
    if (bytesToHex(replay.rtmrs[i] as Uint8Array) !== bytesToHex(quoted[i] as Uint8Array)) {
      return { check: fail('event_log.replay', `RTMR${i} replayed from the event log does not match the quote (events missing, reordered or altered)`) };
    }
  }
  if (replay.rtmr3AtSystemReady === null) return { check: fail('event_log.replay', 'event log has no system-ready event, so boot measurements cannot be told apart') };
  for (const name of SINGLE_BOOT_EVENTS) {
    const n = replay.bootEvents.filter((e) => e.event === name && e.event_type === DSTACK_EVENT_TYPE).length;
    if (n > 1) return { check: fail('event_log.replay', `the event log has ${n} "${name}" boot events; dstack emits one`) };
  }
  // info.tcb_info repeats the measurements for display; it is unsigned, so it must agree with the quote.
  if (tcb) {
    const named: [string, Uint8Array][] = [['mrtd', q.body.mrTd], ['rtmr0', q.body.rtmr0], ['rtmr1', q.body.rtmr1], ['rtmr2', q.body.rtmr2], ['rtmr3', q.body.rtmr3]];
    for (const [k, v] of named) {
      const shown = tcb[k];
      if (typeof shown === 'string' && shown.toLowerCase() !== bytesToHex(v)) return { check: fail('event_log.replay', `info.tcb_info.${k} differs from the quote`) };
    }
  }
  const apps = replay.appEvents.map((e) => e.event);
  const appNote = apps.length ? `; ${apps.length} application event(s) after system-ready, not boot measurements: ${apps.join(', ')}` : '';
  return {
    check: pass('event_log.replay', `RTMR0–3 match the quote; ${replay.bootEvents.length} RTMR3 boot events up to system-ready, every runtime digest recomputed${formats(replay)}${appNote}`),
    replay,
  };
}

function formats(replay: RtmrReplay): string {
  const v2 = [...replay.bootEvents, ...replay.appEvents].filter((e) => e.version === 2).length;
  return v2 ? ` (${v2} in dstack's V2 format)` : '';
}
