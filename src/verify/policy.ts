// The verification policy: what an auditor accepts beyond "the signatures are genuine". It says
// which TCB statuses and Intel advisories are acceptable, which dstack OS measurements (MRTD,
// RTMR0–2, os_image_hash) are trusted, which compose hashes and image digests may run, and which
// checks must not be skipped. `cloister verify --policy FILE` reads it as JSON (format in
// attestation/README.md); without one, DEFAULT_POLICY (default-policy.ts, the same as
// attestation/verify-policy.json) applies. Parsing is strict: an unknown key or a malformed value
// is an error, because a typo must never quietly widen what is accepted.
import { hexToBytes } from '../tdx/bytes.ts';
import { VerifyInputError } from './input-error.ts';
import { CHECK_IDS, type CheckId, type OsMeasurement, type VerifyPolicy } from './types.ts';

export type { OsMeasurement, VerifyPolicy };

/** Intel's TCB statuses, best first. */
export const TCB_STATUSES = ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded', 'Revoked'] as const;

type Obj = Record<string, unknown>;

function bad(path: string, why: string): never {
  throw new VerifyInputError(`policy ${path}: ${why}`);
}

function object(v: unknown, path: string, keys: readonly string[], required: readonly string[] = []): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'must be a JSON object');
  const o = v as Obj;
  for (const k of Object.keys(o)) if (!keys.includes(k)) bad(path, `unknown key "${k}" (allowed: ${keys.join(', ')})`);
  for (const k of required) if (!(k in o)) bad(path, `"${k}" is required`);
  return o;
}

function strings(v: unknown, path: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) bad(path, 'must be a list of strings');
  return v as string[];
}

function hex(v: unknown, bytes: number, path: string): string {
  if (typeof v !== 'string') bad(path, `must be ${bytes} bytes of hex`);
  let b: Uint8Array;
  try {
    b = hexToBytes(v.trim());
  } catch {
    bad(path, 'is not hex');
  }
  if (b.length !== bytes) bad(path, `must be ${bytes} bytes (${bytes * 2} hex characters), got ${b.length}`);
  return v.trim().replace(/^0x/i, '').toLowerCase();
}

function measurement(v: unknown, path: string): OsMeasurement {
  const o = object(v, path, ['name', 'mrtd', 'rtmr0', 'rtmr1', 'rtmr2', 'os_image_hashes', 'source'], ['name', 'mrtd', 'rtmr0', 'rtmr1', 'rtmr2']);
  if (typeof o['name'] !== 'string' || o['name'] === '') bad(`${path}.name`, 'must be a non-empty string');
  if (o['source'] !== undefined && typeof o['source'] !== 'string') bad(`${path}.source`, 'must be a string');
  const m: OsMeasurement = {
    name: o['name'],
    mrtd: hex(o['mrtd'], 48, `${path}.mrtd`),
    rtmr0: hex(o['rtmr0'], 48, `${path}.rtmr0`),
    rtmr1: hex(o['rtmr1'], 48, `${path}.rtmr1`),
    rtmr2: hex(o['rtmr2'], 48, `${path}.rtmr2`),
    os_image_hashes: strings(o['os_image_hashes'], `${path}.os_image_hashes`).map((h, i) => hex(h, 32, `${path}.os_image_hashes[${i}]`)),
  };
  if (typeof o['source'] === 'string') m.source = o['source'];
  return m;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parse and validate a policy (the JSON value of a policy file). */
export function parsePolicy(v: unknown): VerifyPolicy {
  const o = object(v, '(top level)', ['description', 'tcb', 'os', 'app', 'require'], ['tcb', 'os']);
  if (o['description'] !== undefined && typeof o['description'] !== 'string') bad('description', 'must be a string');
  const tcb = object(o['tcb'], 'tcb', ['allowed_statuses', 'allowed_advisory_ids'], ['allowed_statuses']);
  const statuses = strings(tcb['allowed_statuses'], 'tcb.allowed_statuses');
  for (const s of statuses) if (!(TCB_STATUSES as readonly string[]).includes(s)) bad('tcb.allowed_statuses', `"${s}" is not an Intel TCB status (${TCB_STATUSES.join(', ')})`);
  if (statuses.includes('Revoked')) bad('tcb.allowed_statuses', 'Revoked can never be acceptable');
  const advisories = strings(tcb['allowed_advisory_ids'], 'tcb.allowed_advisory_ids');
  for (const a of advisories) if (!/^INTEL-(SA|DOC)-\d{5}$/.test(a)) bad('tcb.allowed_advisory_ids', `"${a}" is not an Intel advisory id (INTEL-SA-NNNNN)`);
  const os = object(o['os'], 'os', ['measurements'], ['measurements']);
  if (!Array.isArray(os['measurements'])) bad('os.measurements', 'must be a list (empty: no OS pinning, and os.measurements is skipped)');
  const measurements = (os['measurements'] as unknown[]).map((m, i) => measurement(m, `os.measurements[${i}]`));
  const app = object(o['app'] ?? {}, 'app', ['compose_hashes', 'image_digests']);
  const composeHashes = strings(app['compose_hashes'], 'app.compose_hashes').map((h, i) => hex(h, 32, `app.compose_hashes[${i}]`));
  const imageDigests = strings(app['image_digests'], 'app.image_digests').map((d) => d.trim().toLowerCase());
  for (const d of imageDigests) if (!DIGEST.test(d)) bad('app.image_digests', `"${d}" is not a sha256:<64 hex> digest`);
  const require = strings(o['require'], 'require').map((id) => {
    if (!(CHECK_IDS as readonly string[]).includes(id)) bad('require', `"${id}" is not a check id (${CHECK_IDS.join(', ')})`);
    return id as CheckId;
  });
  const policy: VerifyPolicy = {
    tcb: { allowed_statuses: statuses, allowed_advisory_ids: advisories },
    os: { measurements },
    app: { compose_hashes: composeHashes, image_digests: imageDigests },
    require,
  };
  if (typeof o['description'] === 'string') policy.description = o['description'];
  return policy;
}
