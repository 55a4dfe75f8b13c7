// dstack's event log: parsing, dstack runtime-event digests, and RTMR replay.
// dstack measures its boot steps into RTMR3 as "runtime events" (type 0x08000001). The digest of
// a runtime event is a function of its content, never an independent claim:
//   V1 (no `version`, or 1): sha384(u32_le(type) ‖ ":" ‖ name ‖ ":" ‖ payload)
//   V2 (`version: 2`):       sha384 of the RFC 8785 (JCS) text {"name":…,"payload":"<hex>","type":134217729},
//                            which dstack also ships as the event's hex `preimage`
// (dstack cc-eventlog, tdx.rs / runtime_events.rs). So every runtime-event digest is recomputed
// here; a supplied digest or preimage that differs from the recomputation is an error naming the
// event, because a log whose digests are trusted lets anyone rewrite the payloads. Newer dstack
// ships runtime events with an empty digest ("stripped"); that is the same recomputation.
// Boot-time events of other types (RTMR0–2, firmware) cannot be recomputed from the log, so their
// digests are taken as given: the replay against the quote's RTMRs is what vouches for them.
// Events after `system-ready` are emitted by the application at run time (dstack's EmitEvent);
// they still extend RTMR3, but they are not boot measurements, so they are reported apart and
// never trusted for compose-hash, app-id and the like.
import { sha384 } from '@noble/hashes/sha2.js';
import { TdxFormatError, bytesEqual, bytesToHex, concatBytes, hexToBytes, u32le, utf8 } from './bytes.ts';

/** dstack runtime event type (extended into RTMR3). */
export const DSTACK_EVENT_TYPE = 0x08000001;
/** The event that ends dstack's boot measurements. */
export const SYSTEM_READY = 'system-ready';

/** One event, as dstack returns it (all binary fields hex, lower case). */
export interface EventLogEntry {
  imr: number;
  event_type: number;
  digest: string;
  event: string;
  event_payload: string;
  /** dstack's runtime-event digest format; absent means V1 (dstack omits it for V1). */
  version?: 2;
  /** The digest's preimage (hex) as supplied; V2 runtime events carry it. */
  preimage?: string;
}

function describe(i: number, e: { event: string }): string {
  return `event ${i} ("${e.event}")`;
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
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new TdxFormatError('bad_event_log', `event ${i} is not an object`);
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
    const entry: EventLogEntry = { imr, event_type: type, digest: digest.toLowerCase(), event: str('event'), event_payload: payload.toLowerCase() };
    const version = r['version'];
    if (version === 2) entry.version = 2;
    else if (version !== undefined && version !== null && version !== 1) throw new TdxFormatError('bad_event_log', `event ${i}: version must be 1 or 2`);
    const preimage = r['preimage'];
    if (preimage !== undefined && preimage !== null) {
      if (typeof preimage !== 'string') throw new TdxFormatError('bad_event_log', `event ${i}: preimage must be a hex string`);
      hexToBytes(preimage, `event ${i} preimage`);
      entry.preimage = preimage.toLowerCase();
    }
    return entry;
  });
}

/** The bytes dstack hashes for a runtime event (V1: binary concatenation; V2: JCS JSON text). */
export function runtimeEventPreimage(event: string, payload: Uint8Array, version: 1 | 2 = 1, eventType = DSTACK_EVENT_TYPE): Uint8Array {
  if (version === 2) {
    // RFC 8785 serialises strings exactly as ECMAScript's JSON.stringify does; keys are sorted.
    return utf8(`{"name":${JSON.stringify(event)},"payload":"${bytesToHex(payload)}","type":${eventType}}`);
  }
  return concatBytes(u32le(eventType), utf8(':'), utf8(event), utf8(':'), payload);
}

/** dstack's runtime-event digest: sha384 of the event's preimage (V1 or V2). */
export function dstackEventDigest(event: string, payload: Uint8Array, eventType = DSTACK_EVENT_TYPE, version: 1 | 2 = 1): Uint8Array {
  return sha384(runtimeEventPreimage(event, payload, version, eventType));
}

/**
 * The digest an entry extends its RTMR with. Runtime events: recomputed from name and payload;
 * a supplied digest or V2 preimage that disagrees is an error naming the event. Other events:
 * the supplied digest (required).
 */
export function eventDigest(e: EventLogEntry, index = 0): Uint8Array {
  if (e.event_type !== DSTACK_EVENT_TYPE) {
    if (e.version !== undefined || e.preimage !== undefined) {
      throw new TdxFormatError('bad_event_log', `${describe(index, e)} of type 0x${e.event_type.toString(16)} carries a runtime-event version or preimage`);
    }
    if (e.digest === '') throw new TdxFormatError('bad_event_log', `${describe(index, e)} (type 0x${e.event_type.toString(16)}) has no digest and is not a dstack runtime event`);
    return hexToBytes(e.digest, 'digest');
  }
  const version = e.version ?? 1;
  const preimage = runtimeEventPreimage(e.event, hexToBytes(e.event_payload, 'event_payload'), version, e.event_type);
  if (e.preimage !== undefined && !bytesEqual(hexToBytes(e.preimage), preimage)) {
    throw new TdxFormatError('digest_mismatch', `${describe(index, e)}: its preimage is not the canonical V${version} form of its name and payload`);
  }
  const computed = sha384(preimage);
  if (e.digest !== '' && e.digest !== bytesToHex(computed)) {
    throw new TdxFormatError('digest_mismatch', `${describe(index, e)}: supplied digest ${e.digest.slice(0, 16)}… is not the V${version} digest of its name and payload (${bytesToHex(computed).slice(0, 16)}…): the payload was altered or the digest forged`);
  }
  return computed;
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

/** Replay RTMR0–3 from 48 zero bytes, in log order, recomputing every runtime-event digest. */
export function replayRtmrs(events: readonly EventLogEntry[]): RtmrReplay {
  const rtmrs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array] = [new Uint8Array(48), new Uint8Array(48), new Uint8Array(48), new Uint8Array(48)];
  const bootEvents: EventLogEntry[] = [];
  const appEvents: EventLogEntry[] = [];
  let rtmr3AtSystemReady: Uint8Array | null = null;
  events.forEach((e, i) => {
    rtmrs[e.imr as 0 | 1 | 2 | 3] = extendRtmr(rtmrs[e.imr as 0 | 1 | 2 | 3], eventDigest(e, i));
    if (e.imr !== 3) return;
    if (rtmr3AtSystemReady === null) {
      bootEvents.push(e);
      if (e.event === SYSTEM_READY && e.event_type === DSTACK_EVENT_TYPE) rtmr3AtSystemReady = rtmrs[3];
    } else {
      appEvents.push(e);
    }
  });
  return { rtmrs, rtmr3AtSystemReady, bootEvents, appEvents };
}

/**
 * The payload (hex) of the boot-measurement RTMR3 event with this name, or null. Two boot events
 * of one name are an error: dstack emits each once, and a second one could only be meant to be
 * read instead of the first.
 */
export function bootEventPayload(replay: RtmrReplay, name: string): string | null {
  const hits = replay.bootEvents.filter((x) => x.event === name && x.event_type === DSTACK_EVENT_TYPE);
  if (hits.length > 1) throw new TdxFormatError('duplicate_event', `the event log has ${hits.length} "${name}" boot events; dstack emits one`);
  return hits[0]?.event_payload ?? null;
}

/** An event to put in a built log; `payload` is bytes or a hex string. */
export interface EventInput {
  imr?: number;
  event_type?: number;
  event: string;
  payload: Uint8Array | string;
  /** Runtime-event digest format (default 1); V2 events get their `preimage`. */
  version?: 1 | 2;
  /** Explicit digest; default: dstack's formula for runtime events (required for other types). */
  digest?: Uint8Array;
}

/** Build event-log entries with digests (dstack runtime events on RTMR3 by default). */
export function buildEventLog(events: readonly EventInput[]): EventLogEntry[] {
  return events.map((e) => {
    const payload = typeof e.payload === 'string' ? hexToBytes(e.payload, 'payload') : e.payload;
    const type = e.event_type ?? DSTACK_EVENT_TYPE;
    if (e.digest === undefined && type !== DSTACK_EVENT_TYPE) throw new TdxFormatError('bad_event_log', `event "${e.event}" needs an explicit digest`);
    const version = e.version ?? 1;
    const digest = e.digest ?? dstackEventDigest(e.event, payload, type, version);
    const entry: EventLogEntry = { imr: e.imr ?? 3, event_type: type, digest: bytesToHex(digest), event: e.event, event_payload: bytesToHex(payload) };
    if (version === 2) {
      entry.version = 2;
      entry.preimage = bytesToHex(runtimeEventPreimage(e.event, payload, 2, type));
    }
    return entry;
  });
}

/** What dstack's guest agent does to a log before GetQuote returns it: runtime-event digests emptied, other events' payloads dropped. */
export function stripEventLog(events: readonly EventLogEntry[]): EventLogEntry[] {
  return events.map((e) => (e.event_type === DSTACK_EVENT_TYPE ? { ...e, digest: '' } : { ...e, event_payload: '' }));
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
  /** Runtime-event digest format (default 1). */
  version?: 1 | 2;
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
  return buildEventLog(events.map((e) => ({ ...e, version: v.version ?? 1 })));
}
