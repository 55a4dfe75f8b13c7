// dstack's event log: parsing, dstack runtime-event digests, and RTMR replay.
// dstack measures its boot steps into RTMR3 as "runtime events" (type 0x08000001) whose digest
// is sha384(u32_le(type) ‖ ":" ‖ name ‖ ":" ‖ payload). Newer dstack ("tdx-lite") ships those
// events with an empty digest, so a verifier must recompute them. Events after `system-ready`
// are emitted by the application at run time (dstack's EmitEvent); they still extend RTMR3, but
// they are not boot measurements, so they are reported apart and never trusted for
// compose-hash, app-id and the like.
import { sha384 } from '@noble/hashes/sha2.js';
import { TdxFormatError, bytesToHex, concatBytes, hexToBytes, u32le, utf8 } from './bytes.ts';

/** dstack runtime event type (extended into RTMR3). */
export const DSTACK_EVENT_TYPE = 0x08000001;
/** The event that ends dstack's boot measurements. */
export const SYSTEM_READY = 'system-ready';

/** One event, as dstack returns it (all binary fields hex). */
export interface EventLogEntry {
  imr: number;
  event_type: number;
  digest: string;
  event: string;
  event_payload: string;
}

/** Parse an event log given as an array or as the JSON string dstack's GetQuote returns. */
export function parseEventLog(input: unknown): EventLogEntry[] {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new TdxFormatError('bad_event_log', 'event log is a string but not JSON');
    }
  }
  if (!Array.isArray(value)) throw new TdxFormatError('bad_event_log', 'event log must be an array');
  return value.map((e: unknown, i) => {
    if (typeof e !== 'object' || e === null) throw new TdxFormatError('bad_event_log', `event ${i} is not an object`);
    const r = e as Record<string, unknown>;
    const imr = r['imr'];
    const type = r['event_type'];
    if (typeof imr !== 'number' || !Number.isInteger(imr) || imr < 0 || imr > 3) throw new TdxFormatError('bad_event_log', `event ${i}: imr must be 0..3`);
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 0xffffffff) throw new TdxFormatError('bad_event_log', `event ${i}: event_type must be a u32`);
    const str = (k: string): string => {
      const v = r[k] ?? '';
      if (typeof v !== 'string') throw new TdxFormatError('bad_event_log', `event ${i}: ${k} must be a string`);
      return v;
    };
    const digest = str('digest');
    if (digest !== '' && !/^[0-9a-fA-F]{96}$/.test(digest)) throw new TdxFormatError('bad_event_log', `event ${i}: digest must be 48 bytes of hex or empty`);
    const payload = str('event_payload');
    hexToBytes(payload, `event ${i} event_payload`);
    return { imr, event_type: type, digest: digest.toLowerCase(), event: str('event'), event_payload: payload.toLowerCase() };
  });
}

/** dstack's runtime-event digest: sha384(u32_le(type) ‖ ":" ‖ event ‖ ":" ‖ payload). */
export function dstackEventDigest(event: string, payload: Uint8Array, eventType = DSTACK_EVENT_TYPE): Uint8Array {
  return sha384(concatBytes(u32le(eventType), utf8(':'), utf8(event), utf8(':'), payload));
}

/** An entry's digest: the given one, or dstack's formula when it is empty (runtime events only). */
export function eventDigest(e: EventLogEntry): Uint8Array {
  if (e.digest !== '') return hexToBytes(e.digest, 'digest');
  if (e.event_type !== DSTACK_EVENT_TYPE) {
    throw new TdxFormatError('bad_event_log', `event "${e.event}" (type 0x${e.event_type.toString(16)}) has no digest and is not a dstack runtime event`);
  }
  return dstackEventDigest(e.event, hexToBytes(e.event_payload, 'event_payload'), e.event_type);
}

/** RTMR extension: sha384(mr ‖ digest). */
export function extendRtmr(mr: Uint8Array, digest: Uint8Array): Uint8Array {
  return sha384(concatBytes(mr, digest));
}

/** Replay result: the four registers, and which RTMR3 events were boot measurements. */
export interface RtmrReplay {
  rtmrs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  /** RTMR3 value right after `system-ready` (null when the log has no `system-ready`). */
  rtmr3AtSystemReady: Uint8Array | null;
  /** RTMR3 events up to and including `system-ready` (all RTMR3 events if it is absent). */
  bootEvents: EventLogEntry[];
  /** RTMR3 events after `system-ready`: application events, not boot measurements. */
  appEvents: EventLogEntry[];
}

/** Replay RTMR0–3 from 48 zero bytes, in log order, recomputing empty dstack digests. */
export function replayRtmrs(events: readonly EventLogEntry[]): RtmrReplay {
  const rtmrs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array] = [new Uint8Array(48), new Uint8Array(48), new Uint8Array(48), new Uint8Array(48)];
  const bootEvents: EventLogEntry[] = [];
  const appEvents: EventLogEntry[] = [];
  let rtmr3AtSystemReady: Uint8Array | null = null;
  for (const e of events) {
    rtmrs[e.imr as 0 | 1 | 2 | 3] = extendRtmr(rtmrs[e.imr as 0 | 1 | 2 | 3], eventDigest(e));
    if (e.imr !== 3) continue;
    if (rtmr3AtSystemReady === null) {
      bootEvents.push(e);
      if (e.event === SYSTEM_READY && e.event_type === DSTACK_EVENT_TYPE) rtmr3AtSystemReady = rtmrs[3];
    } else {
      appEvents.push(e);
    }
  }
  return { rtmrs, rtmr3AtSystemReady, bootEvents, appEvents };
}

/** The payload (hex) of the first boot-measurement RTMR3 event with this name, or null. */
export function bootEventPayload(replay: RtmrReplay, name: string): string | null {
  const e = replay.bootEvents.find((x) => x.event === name && x.event_type === DSTACK_EVENT_TYPE);
  return e ? e.event_payload : null;
}

/** An event to put in a built log; `payload` is bytes or a hex string. */
export interface EventInput {
  imr?: number;
  event_type?: number;
  event: string;
  payload: Uint8Array | string;
  /** Explicit digest; default: dstack's formula for runtime events (required for other types). */
  digest?: Uint8Array;
}

/** Build event-log entries with digests (dstack runtime events on RTMR3 by default). */
export function buildEventLog(events: readonly EventInput[]): EventLogEntry[] {
  return events.map((e) => {
    const payload = typeof e.payload === 'string' ? hexToBytes(e.payload, 'payload') : e.payload;
    const type = e.event_type ?? DSTACK_EVENT_TYPE;
    if (e.digest === undefined && type !== DSTACK_EVENT_TYPE) throw new TdxFormatError('bad_event_log', `event "${e.event}" needs an explicit digest`);
    const digest = e.digest ?? dstackEventDigest(e.event, payload, type);
    return { imr: e.imr ?? 3, event_type: type, digest: bytesToHex(digest), event: e.event, event_payload: bytesToHex(payload) };
  });
}

/** Values measured by dstack at boot; hex strings are decoded, `keyProvider` is the JSON text. */
export interface DstackBootValues {
  appId: Uint8Array | string;
  composeHash: Uint8Array | string;
  instanceId: Uint8Array | string;
  /** Omitted by dstack builds without a KMS. */
  mrKms?: Uint8Array | string;
  osImageHash: Uint8Array | string;
  keyProvider: string;
}

/** dstack's RTMR3 boot events in order: system-preparing … system-ready, with digests. */
export function buildDstackBootEvents(v: DstackBootValues): EventLogEntry[] {
  const events: EventInput[] = [
    { event: 'system-preparing', payload: new Uint8Array(0) },
    { event: 'app-id', payload: v.appId },
    { event: 'compose-hash', payload: v.composeHash },
    { event: 'instance-id', payload: v.instanceId },
    { event: 'boot-mr-done', payload: new Uint8Array(0) },
  ];
  if (v.mrKms !== undefined) events.push({ event: 'mr-kms', payload: v.mrKms });
  events.push(
    { event: 'os-image-hash', payload: v.osImageHash },
    { event: 'key-provider', payload: utf8(v.keyProvider) },
    { event: SYSTEM_READY, payload: new Uint8Array(0) },
  );
  return buildEventLog(events);
}
