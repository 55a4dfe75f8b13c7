// os.measurements: the quote's MRTD and RTMR0–2 — firmware, kernel, initrd, command line (and with
// it the root filesystem's dm-verity hash) — are one of the dstack OS builds the policy trusts.
// Without this, nothing ties the quote to a genuine dstack OS: RTMR3 and MRCONFIGID are written
// by the guest and the host, so a custom image could claim any compose hash. MRTD and RTMR0
// depend on the VM shape (vCPUs, memory, QEMU version), so an OS has one entry per shape.
// Every os_image_hash the report claims — the measured os-image-hash boot event, vm_config's
// and Info's (both supplied by the host, unsigned) — must be one the matching entry lists.
import { bytesToHex } from '../tdx/bytes.ts';
import { bootEventPayload, type RtmrReplay } from '../tdx/event-log.ts';
import type { TdxQuote } from '../tdx/quote-parse.ts';
import { errorText, fail, pass, skip } from './check.ts';
import { tcbInfoOf, vmConfigOf } from './compose-checks.ts';
import type { OsMeasurement, VerifyPolicy } from './policy.ts';
import type { Check, GatewayAttestation } from './types.ts';

function claims(g: GatewayAttestation, replay: RtmrReplay | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (replay) {
    const measured = bootEventPayload(replay, 'os-image-hash');
    if (measured !== null) out.push(['measured os-image-hash event', measured]);
  }
  const add = (where: string, v: unknown): void => {
    if (typeof v === 'string' && v !== '') out.push([where, v.replace(/^0x/i, '').toLowerCase()]);
  };
  add('vm_config', vmConfigOf(g)?.['os_image_hash']);
  add('info', g.info?.os_image_hash);
  add('info.tcb_info', tcbInfoOf(g)?.['os_image_hash']);
  return out;
}

/** os.measurements against the policy's allow-list; skipped when it lists none, or for an accepted simulated report. */
export function checkOsMeasurements(q: TdxQuote, g: GatewayAttestation, replay: RtmrReplay | undefined, policy: VerifyPolicy, simulatedAccepted: boolean): Check {
  if (simulatedAccepted) return skip('os.measurements', 'SIMULATED report: there is no dstack OS to pin', 'simulated');
  const list = policy.os.measurements;
  if (list.length === 0) return skip('os.measurements', 'the policy pins no OS measurements (os.measurements is empty)', 'policy pins no OS');
  const quoted = { mrtd: bytesToHex(q.body.mrTd), rtmr0: bytesToHex(q.body.rtmr0), rtmr1: bytesToHex(q.body.rtmr1), rtmr2: bytesToHex(q.body.rtmr2) };
  const entry: OsMeasurement | undefined = list.find((m) => m.mrtd === quoted.mrtd && m.rtmr0 === quoted.rtmr0 && m.rtmr1 === quoted.rtmr1 && m.rtmr2 === quoted.rtmr2);
  if (!entry) {
    const near = list.find((m) => m.mrtd === quoted.mrtd);
    const hint = near ? `; MRTD is "${near.name}"'s, so the VM shape (RTMR0) or the kernel/initrd/command line (RTMR1–2) differ` : '';
    return fail('os.measurements', `MRTD ${quoted.mrtd.slice(0, 16)}…, RTMR0 ${quoted.rtmr0.slice(0, 16)}…, RTMR1 ${quoted.rtmr1.slice(0, 16)}…, RTMR2 ${quoted.rtmr2.slice(0, 16)}… are not a dstack OS the policy trusts (${list.map((m) => `"${m.name}"`).join(', ')})${hint}`);
  }
  let claimed: [string, string][];
  try {
    claimed = claims(g, replay);
  } catch (e) {
    return fail('os.measurements', errorText(e));
  }
  if (entry.os_image_hashes.length) {
    const foreign = claimed.filter(([, h]) => !entry.os_image_hashes.includes(h));
    if (foreign.length) return fail('os.measurements', `MRTD/RTMR0–2 are "${entry.name}", but the report claims os_image_hash ${foreign.map(([w, h]) => `${h} (${w})`).join(', ')}, which that OS does not have`);
  }
  const hashes = claimed.length ? `; os_image_hash ${[...new Set(claimed.map(([, h]) => h))].map((h) => `${h.slice(0, 16)}…`).join(', ')} (${claimed.map(([w]) => w).join(', ')})` : '';
  return pass('os.measurements', `MRTD and RTMR0–2 are "${entry.name}"${hashes}`);
}
