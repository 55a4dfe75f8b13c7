// quote.td_attributes: the TD's attributes as Intel's QVL and dcap-qvl require them. A debug TD
// lets the host read and write the guest's memory, so nothing it reports means anything.
// TDATTRIBUTES is 64 bits, little-endian (Intel TDX module spec, TDREPORT):
//   bit 0      DEBUG                      must be 0
//   bits 1–7   reserved (TUD)             must be 0
//   bits 8–27  reserved (SEC)             must be 0
//   bit 28     SEPT_VE_DISABLE            must be 1 (otherwise the host can inject #VE on EPT faults)
//   bit 29     reserved                   must be 0
//   bit 30     PKS, bit 31 KL             allowed
//   bits 32–62 reserved (OTHER)           must be 0
//   bit 63     PERFMON                    allowed
// A TDX 1.5 report (quote v5, body type 3) must also have MRSERVICETD all zero: no service TD
// is bound to it. These are exactly dcap-qvl's validate_td10/validate_td15 rules.
import { bytesToHex, isAllZero } from '../tdx/bytes.ts';
import type { TdxQuote } from '../tdx/quote-parse.ts';
import { fail, pass } from './check.ts';
import type { Check } from './types.ts';

const bit = (a: Uint8Array, n: number): boolean => (((a[n >> 3] as number) >> (n & 7)) & 1) === 1;

function setBits(a: Uint8Array, from: number, to: number): number[] {
  const out: number[] = [];
  for (let n = from; n <= to; n++) if (bit(a, n)) out.push(n);
  return out;
}

/** quote.td_attributes: debug off, reserved bits clear, SEPT_VE_DISABLE set; MRSERVICETD zero for TDX 1.5. */
export function checkTdAttributes(q: TdxQuote): Check {
  const a = q.body.tdAttributes;
  const shown = bytesToHex(a);
  if (bit(a, 0)) return fail('quote.td_attributes', `TD attributes ${shown}: DEBUG is set — the host can read and change the TD's memory`);
  const reserved = [...setBits(a, 1, 27), ...setBits(a, 29, 29), ...setBits(a, 32, 62)];
  if (reserved.length) return fail('quote.td_attributes', `TD attributes ${shown}: reserved bit(s) ${reserved.join(', ')} set`);
  if (!bit(a, 28)) return fail('quote.td_attributes', `TD attributes ${shown}: SEPT_VE_DISABLE is not set — the host can inject #VE on EPT violations`);
  if (q.body.mrServiceTd !== undefined && !isAllZero(q.body.mrServiceTd)) {
    return fail('quote.td_attributes', `MRSERVICETD is ${bytesToHex(q.body.mrServiceTd)}, not zero: a service TD is bound to this TD`);
  }
  const optional = ([[30, 'PKS'], [31, 'KL'], [63, 'PERFMON']] as const).filter(([n]) => bit(a, n)).map(([, name]) => name);
  const td15 = q.body.mrServiceTd !== undefined ? '; MRSERVICETD zero' : '';
  return pass('quote.td_attributes', `TD attributes ${shown}: DEBUG off, reserved bits clear, SEPT_VE_DISABLE set${optional.length ? `, ${optional.join(', ')} on` : ''}${td15}`);
}
