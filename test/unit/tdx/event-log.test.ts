import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { bytesToHex, hexToBytes, utf8 } from '../../../src/tdx/bytes.ts';
import {
  buildDstackBootEvents, buildEventLog, dstackEventDigest, parseEventLog, replayRtmrs, bootEventPayload, runtimeEventPreimage, stripEventLog,
  type EventLogEntry,
} from '../../../src/tdx/event-log.ts';
import { TdxFormatError } from '../../../src/tdx/bytes.ts';
import { parseQuote } from '../../../src/tdx/quote-parse.ts';
import { dstackReport, nearai, tdxLite } from './fixtures.ts';

function rtmrsOf(quoteHex: string): string[] {
  const b = parseQuote(hexToBytes(quoteHex)).body;
  return [b.rtmr0, b.rtmr1, b.rtmr2, b.rtmr3].map(bytesToHex);
}

describe('tdx/event-log', () => {
  it('replays all four RTMRs of the nearai sample from its event log (JSON string form)', () => {
    const s = nearai();
    const r = replayRtmrs(parseEventLog(s.get_quote.event_log));
    expect(r.rtmrs.map(bytesToHex)).to.deep.equal(rtmrsOf(s.get_quote.quote));
    expect(r.bootEvents.map((e) => e.event)).to.deep.equal(['system-preparing', 'app-id', 'compose-hash', 'instance-id', 'boot-mr-done', 'mr-kms', 'os-image-hash', 'key-provider', 'system-ready']);
    expect(r.appEvents).to.have.length(0);
    expect(bootEventPayload(r, 'compose-hash')).to.equal(s.info.compose_hash);
  });

  it('accepts the array form as carried in info.tcb_info', () => {
    const s = nearai();
    const arr = JSON.parse(s.get_quote.event_log) as unknown[];
    expect(parseEventLog(arr)).to.deep.equal(parseEventLog(s.get_quote.event_log));
  });

  it('replays the stripped tdx-lite log by recomputing empty RTMR3 digests', () => {
    const f = tdxLite();
    const events = parseEventLog(f.event_log);
    expect(events.filter((e) => e.imr === 3).every((e) => e.digest === '')).to.equal(true);
    expect(replayRtmrs(events).rtmrs.map(bytesToHex)).to.deep.equal(rtmrsOf(f.quote));
  });

  it('keeps the application event after system-ready out of the boot measurements', () => {
    const f = dstackReport();
    const r = replayRtmrs(parseEventLog(f.event_log));
    // The quote's RTMR3 includes the app event (it was extended at run time) …
    expect(bytesToHex(r.rtmrs[3])).to.equal(rtmrsOf(f.quote)[3]);
    // … but it is reported apart, and the boot value differs from the final one.
    expect(r.appEvents.map((e) => e.event)).to.deep.equal(['LIUM_MINER_HOTKEY']);
    expect(r.bootEvents.at(-1)?.event).to.equal('system-ready');
    expect(bytesToHex(r.rtmr3AtSystemReady as Uint8Array)).to.not.equal(bytesToHex(r.rtmrs[3]));
    expect(bootEventPayload(r, 'LIUM_MINER_HOTKEY')).to.equal(null);
  });

  it('computes dstack runtime-event digests that match the ones dstack recorded', () => {
    for (const e of parseEventLog(nearai().get_quote.event_log).filter((x) => x.imr === 3)) {
      expect(bytesToHex(dstackEventDigest(e.event, hexToBytes(e.event_payload))), e.event).to.equal(e.digest);
    }
  });

  it('builds dstack boot events that reproduce the nearai RTMR3', () => {
    const s = nearai();
    const ev = parseEventLog(s.get_quote.event_log).filter((e) => e.imr === 3);
    const payload = (n: string): string => ev.find((e) => e.event === n)?.event_payload ?? '';
    const built = buildDstackBootEvents({
      appId: payload('app-id'), composeHash: payload('compose-hash'), instanceId: payload('instance-id'),
      mrKms: payload('mr-kms'), osImageHash: payload('os-image-hash'),
      keyProvider: new TextDecoder().decode(hexToBytes(payload('key-provider'))),
    });
    expect(built).to.deep.equal(ev);
    expect(bytesToHex(replayRtmrs(built).rtmrs[3])).to.equal(rtmrsOf(s.get_quote.quote)[3]);
  });

  it('finding 1: a runtime event whose payload was changed but whose digest was kept is rejected, naming the event', () => {
    const f = dstackReport();
    const events = parseEventLog(f.event_log);
    const forged = events.map((e) => (e.event === 'compose-hash' ? { ...e, event_payload: 'ab'.repeat(32) } : e));
    let err: unknown;
    try { replayRtmrs(forged); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(TdxFormatError);
    expect((err as TdxFormatError).code).to.equal('digest_mismatch');
    expect((err as Error).message).to.match(/event 22 \("compose-hash"\).*digest/);
  });

  it('a digest forged to differ from the content is rejected even when the payload is genuine', () => {
    const events = parseEventLog(nearai().get_quote.event_log);
    const forged = events.map((e) => (e.event === 'app-id' ? { ...e, digest: 'cd'.repeat(48) } : e));
    expect(() => replayRtmrs(forged)).to.throw(/"app-id".*not the V1 digest/);
  });

  it('detects reordered and altered events (RTMR3 changes)', () => {
    const f = nearai();
    const events = parseEventLog(f.get_quote.event_log);
    const good = bytesToHex(replayRtmrs(events).rtmrs[3]);
    const i = events.findIndex((e) => e.event === 'app-id');
    const swapped = events.slice();
    [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    expect(bytesToHex(replayRtmrs(swapped).rtmrs[3])).to.not.equal(good);
    const altered = events.map((e) => (e.event === 'compose-hash' ? { ...e, digest: '', event_payload: 'ff'.repeat(32) } : e));
    expect(bytesToHex(replayRtmrs(altered).rtmrs[3])).to.not.equal(good);
  });

  it('V1 digests match dstack\'s definition: sha384(u32_le(type) ‖ ":" ‖ name ‖ ":" ‖ payload)', () => {
    const independent = createHash('sha384').update(Buffer.from([0x01, 0x00, 0x00, 0x08])).update(':app-id:').update(Buffer.from('deadbeef', 'hex')).digest('hex');
    expect(bytesToHex(dstackEventDigest('app-id', hexToBytes('deadbeef')))).to.equal(independent);
  });

  it('V2 preimages are dstack\'s canonical JSON, byte for byte (dstack\'s own vectors)', () => {
    expect(new TextDecoder().decode(runtimeEventPreimage('compose-hash', Uint8Array.of(0xab, 0xcd), 2))).to.equal('{"name":"compose-hash","payload":"abcd","type":134217729}');
    expect(new TextDecoder().decode(runtimeEventPreimage('', new Uint8Array(0), 2))).to.equal('{"name":"","payload":"","type":134217729}');
    expect(new TextDecoder().decode(runtimeEventPreimage('event"with\\special\nchars\u0001', Uint8Array.of(0xff), 2)))
      .to.equal('{"name":"event\\"with\\\\special\\nchars\\u0001","payload":"ff","type":134217729}');
    expect(new TextDecoder().decode(runtimeEventPreimage('测试-🦀', new Uint8Array(0), 2))).to.equal('{"name":"测试-🦀","payload":"","type":134217729}');
  });

  it('finding 4: a V2 event log replays to the RTMR3 an independent computation gives', () => {
    const payloads: [string, string][] = [['system-preparing', ''], ['app-id', '11'.repeat(20)], ['compose-hash', '22'.repeat(32)], ['instance-id', '33'.repeat(20)], ['boot-mr-done', ''], ['os-image-hash', '44'.repeat(32)], ['key-provider', bytesToHex(utf8('{"name":"kms","id":"02ab"}'))], ['system-ready', '']];
    // As dstack ships V2 events through GetQuote: version 2, the hex preimage, and a digest.
    const wire = payloads.map(([name, payload]) => {
      const preimage = `{"name":"${name}","payload":"${payload}","type":134217729}`;
      return { imr: 3, event_type: 134217729, digest: createHash('sha384').update(preimage).digest('hex'), event: name, event_payload: payload, version: 2, preimage: Buffer.from(preimage).toString('hex') };
    });
    let rtmr3 = Buffer.alloc(48);
    for (const e of wire) rtmr3 = createHash('sha384').update(rtmr3).update(Buffer.from(e.digest, 'hex')).digest();
    const replay = replayRtmrs(parseEventLog(JSON.stringify(wire)));
    expect(bytesToHex(replay.rtmrs[3])).to.equal(rtmr3.toString('hex'));
    expect(bootEventPayload(replay, 'compose-hash')).to.equal('22'.repeat(32));
    // The same log stripped of digests and preimages (as newer dstack ships it) replays the same.
    const bare = wire.map(({ preimage: _p, ...e }) => ({ ...e, digest: '' }));
    expect(bytesToHex(replayRtmrs(parseEventLog(bare)).rtmrs[3])).to.equal(rtmr3.toString('hex'));
    // Read as V1 (version dropped) it gives another RTMR3: the format is not guessed.
    const asV1 = bare.map(({ version: _v, ...e }) => e);
    expect(bytesToHex(replayRtmrs(parseEventLog(asV1)).rtmrs[3])).to.not.equal(rtmr3.toString('hex'));
  });

  it('V1 and V2 events mix in one log, as dstack allows', () => {
    const built = [...buildEventLog([{ event: 'app-id', payload: '0102' }]), ...buildEventLog([{ event: 'compose-hash', payload: '0304', version: 2 }]), ...buildEventLog([{ event: 'instance-id', payload: '0506' }])];
    let mr = Buffer.alloc(48);
    for (const d of [dstackEventDigest('app-id', Uint8Array.of(1, 2)), dstackEventDigest('compose-hash', Uint8Array.of(3, 4), undefined, 2), dstackEventDigest('instance-id', Uint8Array.of(5, 6))]) {
      mr = createHash('sha384').update(mr).update(d).digest();
    }
    expect(bytesToHex(replayRtmrs(parseEventLog(JSON.parse(JSON.stringify(built)))).rtmrs[3])).to.equal(mr.toString('hex'));
    expect(built[1]).to.include({ version: 2, preimage: bytesToHex(utf8('{"name":"compose-hash","payload":"0304","type":134217729}')) });
    expect(built[0]).to.not.have.property('version');
  });

  it('a V2 preimage that is not the canonical form of the event is rejected, even with a matching digest', () => {
    const [e] = buildEventLog([{ event: 'app-id', payload: bytesToHex(utf8('fixture')), version: 2 }]) as [EventLogEntry];
    const reordered = '{"type":134217729,"name":"app-id","payload":"66697874757265"}';
    const forged = { ...e, preimage: bytesToHex(utf8(reordered)), digest: createHash('sha384').update(reordered).digest('hex') };
    expect(() => replayRtmrs([forged])).to.throw(/"app-id".*not the canonical V2 form/);
    expect(() => replayRtmrs([{ ...e, preimage: bytesToHex(utf8('{"name":"app-id","payload":"00","type":134217729}')) }])).to.throw(/canonical/);
    expect(() => parseEventLog([{ ...e, version: 3 }])).to.throw(/version must be 1 or 2/);
    expect(() => parseEventLog([{ ...e, preimage: 'zz' }])).to.throw(/preimage/);
  });

  it('stripEventLog empties runtime digests and other payloads, as dstack\'s GetQuote does, and the log still replays', () => {
    const events = parseEventLog(nearai().get_quote.event_log);
    const stripped = stripEventLog(events);
    expect(stripped.filter((e) => e.imr === 3).every((e) => e.digest === '' && e.event_payload !== undefined)).to.equal(true);
    expect(stripped.filter((e) => e.imr !== 3).every((e) => e.event_payload === '' && e.digest !== '')).to.equal(true);
    expect(replayRtmrs(stripped).rtmrs.map(bytesToHex)).to.deep.equal(replayRtmrs(events).rtmrs.map(bytesToHex));
  });

  it('two boot events of one name cannot both be read: bootEventPayload refuses', () => {
    const events = buildDstackBootEvents({ appId: '00', composeHash: '11', instanceId: '22', osImageHash: '33', keyProvider: '{}' });
    const i = events.findIndex((e) => e.event === 'compose-hash');
    const doubled = [...events.slice(0, i + 1), ...buildEventLog([{ event: 'compose-hash', payload: '99' }]), ...events.slice(i + 1)];
    expect(() => bootEventPayload(replayRtmrs(doubled), 'compose-hash')).to.throw(/2 "compose-hash" boot events/);
  });

  it('rejects malformed logs with a clear error', () => {
    expect(() => parseEventLog('not json')).to.throw(/not JSON/);
    expect(() => parseEventLog({})).to.throw(/array/);
    expect(() => parseEventLog([{ imr: 4, event_type: 1 }])).to.throw(/imr/);
    expect(() => parseEventLog([{ imr: 0, event_type: 1, digest: 'abc' }])).to.throw(/digest/);
    expect(() => replayRtmrs(parseEventLog([{ imr: 0, event_type: 1, digest: '', event: 'x', event_payload: '' }]))).to.throw(/no digest/);
  });

  it('buildEventLog hex-encodes payloads and needs explicit digests for non-dstack types', () => {
    const [e] = buildEventLog([{ event: 'x', payload: utf8('hi') }]);
    expect(e?.event_payload).to.equal('6869');
    expect(() => buildEventLog([{ imr: 0, event_type: 4, event: '', payload: '' }])).to.throw(/explicit digest/);
  });
});
