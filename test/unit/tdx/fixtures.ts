// Loads the real attestation fixtures from ../shared/fixtures/attestation (read-only; tests that
// need broken inputs copy and mutate them in memory).
import { readFileSync } from 'node:fs';
import { hexToBytes } from '../../../src/tdx/bytes.ts';

export const FIXTURES = new URL('../../../../shared/fixtures/attestation/', import.meta.url);

/** Raw bytes of a fixture file. */
export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, FIXTURES)));
}

/** Parsed JSON fixture. */
export function fixtureJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as T;
}

interface GetQuote { quote: string; event_log: string; report_data?: string; vm_config?: string }
export interface NearaiSample {
  get_quote: GetQuote;
  info: { compose_hash: string; app_id: string; instance_id: string; os_image_hash: string; key_provider_info: string; tcb_info: Record<string, string> & { app_compose: string } };
}

export const nearai = (): NearaiSample => fixtureJson<NearaiSample>('nearai-dstack-sample.json');
export const dstackReport = (): GetQuote => fixtureJson<GetQuote>('dstack-quote-report.json');
export const tdxLite = (): GetQuote => fixtureJson<GetQuote>('dstack-tdx-lite-getquote.json');
export const dcapQuote = (): Uint8Array => fixtureBytes('dcap-qvl-tdx-quote.bin');
export const intelRootDer = (): Uint8Array => fixtureBytes('intel-sgx-root-ca.der');

/** All four real quotes by name. */
export function realQuotes(): Record<string, Uint8Array> {
  return {
    'dcap-qvl': dcapQuote(),
    nearai: hexToBytes(nearai().get_quote.quote),
    'dstack-quote-report': hexToBytes(dstackReport().quote),
    'tdx-lite': hexToBytes(tdxLite().quote),
  };
}
