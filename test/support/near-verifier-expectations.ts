// What NEAR AI's published verifier (nearai/nearai-cloud-verifier, ts/gateway/cloud_api.ts and
// ts/common/dstack_attestation.ts) requires of an /v1/attestation/report body before and while it
// verifies it, written down as a judge for Cloister's report. This is our own statement of its
// documented expectations — none of its code is copied — and each rule names the step it
// mirrors. Quote fields come from @phala/dcap-qvl's parser (NEAR's verifier reads them from
// dcap-qvl's verified result); the Intel signature chain itself is dcap-qvl-oracle.test.ts's
// business, since a simulated quote cannot chain to Intel.
import { createHash } from 'node:crypto';
import { Quote } from '@phala/dcap-qvl';

type Obj = Record<string, unknown>;
const DSTACK_RUNTIME_EVENT_TYPE = 0x08000001;

function obj(v: unknown, label: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${label} must be a JSON object`);
  return v as Obj;
}
function nonEmpty(v: unknown, label: string): string {
  if (typeof v !== 'string' || v === '') throw new Error(`${label} must be a non-empty string`);
  return v;
}
function hexOf(v: string, bytes: number | null, label: string): Buffer {
  const h = /^0x/i.test(v) ? v.slice(2) : v;
  if (h === '' || h.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(h)) throw new Error(`${label} must be hexadecimal bytes`);
  const b = Buffer.from(h, 'hex');
  if (bytes !== null && b.length !== bytes) throw new Error(`${label} must be ${bytes} bytes, got ${b.length}`);
  return b;
}

/** cloud_api.ts parseAttestation: the fields it takes, and the types it refuses. */
export function nearParseAttestation(v: unknown, label: string): Obj {
  const o = obj(v, label);
  obj(o['info'], `${label}.info`);
  for (const k of ['nvidia_payload', 'tls_cert_fingerprint']) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== 'string') throw new Error(`${label}.${k} must be a string or null`);
  }
  for (const k of ['intel_quote', 'signing_address', 'signing_algo']) nonEmpty(o[k], `${label}.${k}`);
  return o;
}

/** cloud_api.ts parseAttestationApiReport: gateway_attestation and model_attestations (an array when present). */
export function nearParseReport(v: unknown): { gateway?: Obj; models?: Obj[] } {
  const o = obj(v, 'Cloud API attestation response');
  const out: { gateway?: Obj; models?: Obj[] } = {};
  if (o['gateway_attestation'] !== undefined) out.gateway = nearParseAttestation(o['gateway_attestation'], 'gateway_attestation');
  if (o['model_attestations'] !== undefined) {
    if (!Array.isArray(o['model_attestations'])) throw new Error('model_attestations must be an array when present');
    out.models = o['model_attestations'].map((m, i) => nearParseAttestation(m, `model_attestations[${i}]`));
  }
  return out;
}

/**
 * The gateway checks of dstack_attestation.ts that need no network: request_nonce echoes the
 * nonce (verifyAttestationNonce); signing_algo/address have the right shape; report_data binds
 * padded address ‖ nonce, and the advertised copy equals the quote's (verifyReportDataBinding);
 * the event log parses and its RTMR3 entries replay, runtime digests recomputed, to the quote's
 * RTMR3 (checkEventLog); tcb_info parses and MRCONFIGID is 01 ‖ sha256(app_compose)
 * (checkAppComposeMeasurement); debug is off (verifyDstackQuote).
 */
export function nearCheckGateway(a: Obj, nonce: string): void {
  const requested = hexOf(nonce, 32, 'requested nonce');
  if (!hexOf(nonEmpty(a['request_nonce'], 'attestation.request_nonce'), 32, 'attestation.request_nonce').equals(requested)) throw new Error('request_nonce does not match the requested nonce');
  const algo = String(a['signing_algo']).toLowerCase();
  if (algo !== 'ecdsa' && algo !== 'ed25519') throw new Error(`Unsupported signing algorithm ${JSON.stringify(a['signing_algo'])}`);
  const address = hexOf(String(a['signing_address']), algo === 'ecdsa' ? 20 : 32, 'signing_address');
  const quote = Quote.parse(hexOf(String(a['intel_quote']), null, 'intel_quote'));
  const td = quote.report.asTd10() ?? quote.report.asTd15()?.base;
  if (!td) throw new Error('Intel DCAP result does not contain a TD10 or TD15 report');
  if ((td.tdAttributes[0]! & 0x01) !== 0) throw new Error('Intel TDX quote has debug mode enabled');
  const reportData = Buffer.from(td.reportData);
  if (!reportData.subarray(32).equals(requested)) throw new Error('Quote report_data does not embed the requested nonce');
  if (a['report_data'] !== undefined && !hexOf(String(a['report_data']), 64, 'attestation.report_data').equals(reportData)) throw new Error('attestation.report_data does not match the verified quote');
  if (a['tls_cert_fingerprint'] !== undefined && a['tls_cert_fingerprint'] !== null) throw new Error('Attestation includes tls_cert_fingerprint; verify it with the TLS flow');
  if (!reportData.subarray(0, 32).equals(Buffer.concat([address, Buffer.alloc(32 - address.length)]))) throw new Error('Quote report_data does not bind the signing address');

  let log: unknown = a['event_log'];
  if (log === undefined) throw new Error('attestation.event_log is missing');
  if (typeof log === 'string') log = JSON.parse(log);
  if (!Array.isArray(log)) throw new Error('attestation.event_log must be an array');
  let rtmr3 = Buffer.alloc(48);
  let count = 0;
  log.forEach((item, i) => {
    const e = obj(item, `event_log[${i}]`);
    const type = e['event_type'] ?? 0;
    if (typeof type !== 'number' || !Number.isInteger(type) || type < 0 || type > 0xffffffff) throw new Error(`event_log[${i}].event_type must be an unsigned 32-bit integer`);
    if (typeof e['imr'] !== 'number' || !Number.isInteger(e['imr'])) throw new Error(`event_log[${i}].imr must be an integer`);
    if (typeof e['digest'] !== 'string') throw new Error(`event_log[${i}].digest must be a string`);
    if (e['imr'] !== 3) return;
    count++;
    let digest: Buffer;
    if (type === DSTACK_RUNTIME_EVENT_TYPE) {
      const payload = typeof e['event_payload'] === 'string' && e['event_payload'] !== '' ? hexOf(e['event_payload'], null, 'runtime event payload') : Buffer.alloc(0);
      const typeLe = Buffer.alloc(4);
      typeLe.writeUInt32LE(type);
      digest = createHash('sha384').update(typeLe).update(':').update(typeof e['event'] === 'string' ? e['event'] : '').update(':').update(payload).digest();
      if (e['digest'] !== '' && !hexOf(e['digest'], 48, 'runtime event digest').equals(digest)) throw new Error('runtime event digest does not match its event name and payload');
    } else {
      digest = hexOf(e['digest'], 48, 'event log digest');
    }
    rtmr3 = createHash('sha384').update(rtmr3).update(digest).digest();
  });
  if (count === 0 || !rtmr3.equals(Buffer.from(td.rtMr3))) throw new Error(count === 0 ? 'attestation.event_log has no RTMR3 events' : 'RTMR3 event-log replay does not match the verified quote');

  const info = obj(a['info'], 'info');
  const tcb = typeof info['tcb_info'] === 'string' ? obj(JSON.parse(info['tcb_info']), 'info.tcb_info') : obj(info['tcb_info'], 'info.tcb_info');
  const appCompose = nonEmpty(tcb['app_compose'], 'info.tcb_info.app_compose');
  const mrConfig = Buffer.from(td.mrConfigId);
  if (mrConfig[0] !== 0x01 || !mrConfig.subarray(1, 33).equals(createHash('sha256').update(appCompose, 'utf8').digest())) throw new Error('MRCONFIGID does not bind the attested app_compose');
}
