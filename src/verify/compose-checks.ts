// app-compose checks: the compose-hash boot event is sha256 of the app-compose the report
// shows (and of the one the auditor expects), MRCONFIGID carries it, and every container image
// in it is pinned by digest.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesEqual, bytesToHex, hexToBytes, isAllZero, utf8 } from '../tdx/bytes.ts';
import { appComposeKeyProvider, mrConfigIdV1, mrConfigIdV2, mrConfigIdV3, parseMrConfigV3 } from '../tdx/mr-config.ts';
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

/** app_compose.hash; returns the verified compose hash (hex) for the MRCONFIGID check. `allowed`: the policy's compose hashes (empty: any). */
export function checkComposeHash(replay: RtmrReplay | undefined, g: GatewayAttestation, opts: VerifyOptions, allowed: readonly string[] = []): { check: Check; composeHash?: string } {
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
  if (allowed.length) {
    if (!allowed.includes(eventHash)) return result(fail('app_compose.hash', `compose hash ${eventHash} is not one the policy allows (${allowed.join(', ')})`));
    extra.push('allowed by the policy');
  }
  return result(pass('app_compose.hash', `compose-hash ${eventHash} = sha256(app_compose)${extra.length ? `; ${extra.join(', ')}` : ''}`));
}

/** vm_config as an object (dstack sends it as a JSON string; the report may carry either). */
export function vmConfigOf(g: GatewayAttestation): Record<string, unknown> | undefined {
  let v: unknown = g.vm_config ?? g.info?.['vm_config'];
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** The verified app-compose object: its text hashes to the measured compose hash. */
function verifiedAppCompose(g: GatewayAttestation, composeHash: string): Record<string, unknown> {
  const text = tcbInfoOf(g)?.['app_compose'];
  if (typeof text !== 'string' || bytesToHex(sha256(utf8(text))) !== composeHash) throw new Error('the report has no app-compose whose hash is the measured compose hash');
  const v: unknown = JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('app_compose is not a JSON object');
  return v as Record<string, unknown>;
}

function bootPayload(replay: RtmrReplay | undefined, name: string): Uint8Array | undefined {
  const p = replay ? bootEventPayload(replay, name) : null;
  return p === null ? undefined : hexToBytes(p);
}

/** The MRCONFIGID this report should have, for the version its first byte names, with what it binds. */
function expectedMrConfigId(version: number, composeHash: string, replay: RtmrReplay | undefined, g: GatewayAttestation): { want: Uint8Array; binds: string } {
  const compose = hexToBytes(composeHash);
  if (version === 1) return { want: mrConfigIdV1(compose), binds: 'v1: 01 ‖ compose hash' };
  if (version === 2) {
    const app = verifiedAppCompose(g, composeHash);
    const appId = bootPayload(replay, 'app-id');
    if (!appId) throw new Error('MRCONFIGID v2 binds the app id, but the event log has no app-id boot event');
    const keyProviderId = app['key_provider_id'];
    if (typeof keyProviderId !== 'string' || keyProviderId === '') throw new Error('MRCONFIGID v2 binds the app-compose key_provider_id, which is not set');
    const keyProvider = appComposeKeyProvider(app);
    return {
      want: mrConfigIdV2({ composeHash: compose, appId, keyProvider, keyProviderId: hexToBytes(keyProviderId, 'key_provider_id') }),
      binds: `v2: keccak256(compose hash ‖ app id ${bytesToHex(appId)} ‖ key provider ${keyProvider} ‖ its id)`,
    };
  }
  if (version === 3) {
    const document = vmConfigOf(g)?.['mr_config'] ?? g['mr_config'];
    if (typeof document !== 'string') throw new Error('MRCONFIGID v3 binds an mr_config document, but the report carries none (vm_config.mr_config)');
    const doc = parseMrConfigV3(document);
    if (doc.version !== 3) throw new Error(`mr_config document version ${doc.version} is not 3`);
    if (bytesToHex(doc.composeHash) !== composeHash) throw new Error(`mr_config compose_hash ${bytesToHex(doc.composeHash)} is not the measured ${composeHash}`);
    const pinned: string[] = [];
    for (const [field, event, value] of [['app_id', 'app-id', doc.appId], ['instance_id', 'instance-id', doc.instanceId]] as const) {
      if (value === undefined) continue;
      const measured = bootPayload(replay, event);
      if (!measured || bytesToHex(measured) !== bytesToHex(value)) throw new Error(`mr_config ${field} ${bytesToHex(value)} is not the measured ${event} ${measured ? bytesToHex(measured) : '(none)'}`);
      pinned.push(field);
    }
    const app = verifiedAppCompose(g, composeHash);
    if (doc.keyProvider !== appComposeKeyProvider(app)) throw new Error(`mr_config key_provider "${doc.keyProvider}" is not the app-compose's "${appComposeKeyProvider(app)}"`);
    if (doc.keyProviderId !== undefined) {
      const appId = typeof app['key_provider_id'] === 'string' ? app['key_provider_id'].toLowerCase() : '';
      if (bytesToHex(doc.keyProviderId) !== appId) throw new Error('mr_config key_provider_id is not the app-compose key_provider_id');
      pinned.push('key_provider_id');
    }
    const unchecked = [doc.gpuPolicyHash ? 'gpu_policy_hash' : '', doc.initScriptHashes ? 'init_script_hashes' : ''].filter(Boolean);
    return {
      want: mrConfigIdV3(document),
      binds: `v3: sha256 of the mr_config document (compose hash, key provider ${doc.keyProvider}${pinned.length ? `, ${pinned.join(', ')}` : ''}${unchecked.length ? `; ${unchecked.join(', ')} shown, not checked` : ''})`,
    };
  }
  throw new Error(`MRCONFIGID version ${version} is not one dstack writes (1, 2 or 3)`);
}

/** app_compose.mrconfigid: MRCONFIGID in dstack's v1, v2 or v3 format binds the measured compose hash; skipped when all zero (older dstack). */
export function checkMrConfigId(q: TdxQuote, composeHash: string | undefined, replay: RtmrReplay | undefined, g: GatewayAttestation): Check {
  const m = q.body.mrConfigId;
  if (isAllZero(m)) return skip('app_compose.mrconfigid', 'MRCONFIGID is all zero (older dstack): the compose hash is bound through RTMR3 only', 'MRCONFIGID zero, older dstack');
  if (composeHash === undefined) return fail('app_compose.mrconfigid', 'no verified compose hash to compare MRCONFIGID with');
  try {
    const { want, binds } = expectedMrConfigId(m[0] as number, composeHash, replay, g);
    return bytesEqual(m, want)
      ? pass('app_compose.mrconfigid', `MRCONFIGID ${binds}`)
      : fail('app_compose.mrconfigid', `MRCONFIGID ${bytesToHex(m)} is not ${bytesToHex(want)} (${binds})`);
  } catch (e) {
    return fail('app_compose.mrconfigid', errorText(e));
  }
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

/** app_compose.images_pinned: every image is `name@sha256:<64 hex>`; `imageDigest` must be among them; with a policy list, every image must use one of its digests. */
export function checkImagesPinned(g: GatewayAttestation, imageDigest: string | undefined, allowedDigests: readonly string[] = []): Check {
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
  if (allowedDigests.length) {
    const foreign = images.filter((i) => !allowedDigests.includes(i.slice(i.indexOf('@') + 1)));
    if (foreign.length) return fail('app_compose.images_pinned', `image(s) not allowed by the policy: ${foreign.join(', ')}`);
  }
  const byPolicy = allowedDigests.length ? ', every one allowed by the policy' : '';
  if (imageDigest !== undefined) {
    const want = imageDigest.trim();
    const hit = want.includes('@') ? images.includes(want) : images.some((i) => i.endsWith(`@${want}`));
    if (!hit) return fail('app_compose.images_pinned', `${want} is not among the images: ${images.join(', ')}`);
    return pass('app_compose.images_pinned', `${images.length} image(s) pinned${byPolicy}, including ${want}`);
  }
  return pass('app_compose.images_pinned', `${images.length} image(s) pinned by digest${byPolicy}: ${images.join(', ')}`);
}
