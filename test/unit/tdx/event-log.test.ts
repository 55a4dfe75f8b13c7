import { expect } from 'chai';
import { bytesToHex, hexToBytes, utf8 } from '../../../src/tdx/bytes.ts';
import {
  buildDstackBootEvents, buildEventLog, dstackEventDigest, parseEventLog, replayRtmrs, bootEventPayload,
} from '../../../src/tdx/event-log.ts';
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
