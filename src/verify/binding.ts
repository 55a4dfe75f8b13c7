// report_data checks: the first 32 bytes bind the reported signing key (and TLS key when a
// fingerprint is reported), the last 32 bytes are the auditor's nonce. The report_data field
// in the JSON is only a convenience; the quote's copy is the one that is signed.
import { bytesEqual, bytesToHex, hexToBytes } from '../tdx/bytes.ts';
import { bindFromAddress, bindFromAddressAndTls } from '../tdx/report-data.ts';
import type { TdxQuote } from '../tdx/quote-parse.ts';
import { errorText, fail, pass, skip } from './check.ts';
import { signingAddressBytes } from './signing-address.ts';
import type { Check, GatewayAttestation } from './types.ts';

/** report_data.binding: quote report_data[0..32] = padded address, or sha256(address ‖ TLS SPKI sha256). */
export function checkBinding(q: TdxQuote, g: GatewayAttestation): Check {
  let addr: Uint8Array;
  try {
    addr = signingAddressBytes(String(g.signing_address ?? ''), String(g.signing_algo ?? ''));
  } catch (e) {
    return fail('report_data.binding', errorText(e));
  }
  const bind = q.body.reportData.subarray(0, 32);
  if (g.report_data !== undefined && g.report_data !== null && String(g.report_data).replace(/^0x/, '').toLowerCase() !== bytesToHex(q.body.reportData)) {
    return fail('report_data.binding', 'report_data in the report differs from the quote\'s');
  }
  const fp = g.tls_cert_fingerprint;
  if (fp !== undefined && fp !== null && fp !== '') {
    let spki: Uint8Array;
    try {
      spki = hexToBytes(String(fp).replace(/:/g, ''), 'tls_cert_fingerprint');
    } catch (e) {
      return fail('report_data.binding', errorText(e));
    }
    if (spki.length !== 32) return fail('report_data.binding', 'tls_cert_fingerprint must be a 32-byte SHA-256');
    return bytesEqual(bind, bindFromAddressAndTls(addr, spki))
      ? pass('report_data.binding', `binds ${g.signing_algo} key ${g.signing_address} and TLS key ${bytesToHex(spki)}`)
      : fail('report_data.binding', 'report_data does not bind sha256(signing address ‖ TLS SPKI fingerprint)');
  }
  return bytesEqual(bind, bindFromAddress(addr))
    ? pass('report_data.binding', `binds ${g.signing_algo} key ${g.signing_address}`)
    : fail('report_data.binding', `report_data[0..32] is not the signing address ${g.signing_address} padded with zeros`);
}

/** report_data.nonce: quote report_data[32..64] = the auditor's nonce (and the echoed request_nonce). */
export function checkNonce(q: TdxQuote, g: GatewayAttestation, nonce: string | undefined): Check {
  const inQuote = bytesToHex(q.body.reportData.subarray(32));
  const echoed = typeof g.request_nonce === 'string' ? g.request_nonce.replace(/^0x/, '').toLowerCase() : undefined;
  if (echoed !== undefined && echoed !== inQuote) return fail('report_data.nonce', `request_nonce ${echoed} is not the nonce in the quote (${inQuote})`);
  if (nonce === undefined) {
    return skip('report_data.nonce', `no nonce given: the quote's nonce is ${inQuote}, so freshness is not proven`, 'no nonce: freshness not proven');
  }
  const want = nonce.replace(/^0x/, '').toLowerCase();
  return want === inQuote
    ? pass('report_data.nonce', `quote carries your nonce ${want}`)
    : fail('report_data.nonce', `quote carries nonce ${inQuote}, not yours (${want})`);
}
