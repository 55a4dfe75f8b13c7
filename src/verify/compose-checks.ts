// app-compose checks: the compose-hash boot event is sha256 of the app-compose the report
// shows (and of the one the auditor expects), MRCONFIGID carries it, and every container image
// in it is pinned by digest.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, isAllZero, utf8 } from '../tdx/bytes.ts';
import { bootEventPayload, type RtmrReplay } from '../tdx/event-log.ts';
import type { TdxQuote } from '../tdx/quote-parse.ts';
import { errorText, fail, pass, skip } from './check.ts';
import type { Check, GatewayAttestation, VerifyOptions } from './types.ts';

/** info.tcb_info as an object (dstack returns it either as an object or as a JSON string). */
export function tcbInfoOf(g: GatewayAttestation): Record<string, unknown> | undefined {
  const t = g.info?.tcb_info;
  if (typeof t === 'string') {
    try {
      const v: unknown = JSON.parse(t);
      return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  return t ?? undefined;
}

/** app_compose.hash; returns the verified compose hash (hex) for the MRCONFIGID check. */
export function checkComposeHash(replay: RtmrReplay | undefined, g: GatewayAttestation, opts: VerifyOptions): { check: Check; composeHash?: string } {
  if (!replay) return { check: fail('app_compose.hash', 'event log did not replay, so its compose-hash event is not evidence') };
  let eventHash: string | null;
  try {
    eventHash = bootEventPayload(replay, 'compose-hash');
  } catch (e) {
    return { check: fail('app_compose.hash', errorText(e)) };
  }
  if (eventHash === null) return { check: fail('app_compose.hash', 'no compose-hash boot event in the event log') };
  // MRCONFIGID is compared with the measured hash whatever the other comparisons say.
  const result = (check: Check): { check: Check; composeHash: string } => ({ check, composeHash: eventHash });
  const appCompose = tcbInfoOf(g)?.['app_compose'];
  if (typeof appCompose !== 'string') return result(fail('app_compose.hash', 'report has no info.tcb_info.app_compose'));
  const shown = bytesToHex(sha256(utf8(appCompose)));
  if (shown !== eventHash) return result(fail('app_compose.hash', `sha256(info.tcb_info.app_compose) = ${shown}, but the measured compose-hash is ${eventHash}`));
  const infoHash = g.info?.compose_hash;
  if (typeof infoHash === 'string' && infoHash.toLowerCase() !== eventHash) return result(fail('app_compose.hash', `info.compose_hash ${infoHash} differs from the measured ${eventHash}`));
  const extra: string[] = [];
  if (opts.appCompose !== undefined) {
    const want = bytesToHex(sha256(utf8(opts.appCompose)));
    if (want !== eventHash) return result(fail('app_compose.hash', `your app-compose hashes to ${want}, the measured one is ${eventHash}`));
    extra.push('equals your app-compose');
  }
  if (opts.composeHash !== undefined) {
    const want = opts.composeHash.replace(/^0x/, '').toLowerCase();
    if (want !== eventHash) return result(fail('app_compose.hash', `expected compose hash ${want}, measured ${eventHash}`));
    extra.push('equals your compose hash');
  }
  return result(pass('app_compose.hash', `compose-hash ${eventHash} = sha256(app_compose)${extra.length ? `; ${extra.join(', ')}` : ''}`));
}

/** app_compose.mrconfigid: MRCONFIGID = 01 ‖ compose hash ‖ zeros; skipped when all zero (older dstack). */
export function checkMrConfigId(q: TdxQuote, composeHash: string | undefined): Check {
  const m = q.body.mrConfigId;
  if (isAllZero(m)) return skip('app_compose.mrconfigid', 'MRCONFIGID is all zero (older dstack): the compose hash is bound through RTMR3 only');
  if (composeHash === undefined) return fail('app_compose.mrconfigid', 'no verified compose hash to compare MRCONFIGID with');
  const want = '01' + composeHash + '00'.repeat(15);
  return bytesToHex(m) === want
    ? pass('app_compose.mrconfigid', 'MRCONFIGID = 01 ‖ compose hash')
    : fail('app_compose.mrconfigid', `MRCONFIGID ${bytesToHex(m)} is not 01 ‖ compose hash ‖ zeros`);
}

/** `image:` values of a docker-compose YAML (line-based: the verifier stays dependency-free and browser-safe). */
export function composeImages(yaml: string): string[] {
  const out: string[] = [];
  for (const line of yaml.split(/\r?\n/)) {
    const m = /^\s*(?:-\s+)?image\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let v = (m[1] ?? '').replace(/\s+#.*$/, '');
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out.push(v);
  }
  return out;
}

const PINNED = /^[^\s@]+@sha256:[0-9a-f]{64}$/;

/** app_compose.images_pinned: every image is `name@sha256:<64 hex>`; `imageDigest` must be among them. */
export function checkImagesPinned(g: GatewayAttestation, imageDigest: string | undefined): Check {
  const appCompose = tcbInfoOf(g)?.['app_compose'];
  if (typeof appCompose !== 'string') return fail('app_compose.images_pinned', 'report has no info.tcb_info.app_compose');
  let compose: unknown;
  try {
    compose = JSON.parse(appCompose);
  } catch {
    return fail('app_compose.images_pinned', 'app_compose is not JSON');
  }
  const yaml = (compose as Record<string, unknown> | null)?.['docker_compose_file'];
  if (typeof yaml !== 'string') return fail('app_compose.images_pinned', 'app_compose has no docker_compose_file');
  const images = composeImages(yaml);
  if (images.length === 0) return fail('app_compose.images_pinned', 'docker_compose_file names no image');
  const loose = images.filter((i) => !PINNED.test(i));
  if (loose.length) return fail('app_compose.images_pinned', `not pinned by digest: ${loose.join(', ')}`);
  if (imageDigest !== undefined) {
    const want = imageDigest.trim();
    const hit = want.includes('@') ? images.includes(want) : images.some((i) => i.endsWith(`@${want}`));
    if (!hit) return fail('app_compose.images_pinned', `${want} is not among the images: ${images.join(', ')}`);
    return pass('app_compose.images_pinned', `${images.length} image(s) pinned, including ${want}`);
  }
  return pass('app_compose.images_pinned', `${images.length} image(s) pinned by digest: ${images.join(', ')}`);
}
