#!/usr/bin/env node
// Turns attestation/docker-compose.tee.yml and an image reference pinned by digest into dstack's
// app-compose.json, written the way dstack tooling writes it (keys sorted, compact separators),
// and prints the compose hash an auditor will find in RTMR3's compose-hash event and MRCONFIGID.
// Usage: node scripts/make-app-compose.mjs --image registry/cloister@sha256:<64 hex> [--compose FILE] [--out FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';

const ALLOWED_ENVS = ['DATABASE_URL', 'SESSION_SECRET', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'PUBLIC_URL', 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET', 'GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET'];

/** Sorted-key, compact JSON (dstack's normalised app-compose form). */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  return JSON.stringify(value);
}

/** The app-compose text for a compose file and a pinned image. */
export function makeAppCompose(composeText, image) {
  if (!/^[\w./:-]+@sha256:[0-9a-f]{64}$/.test(image)) throw new Error('--image must be name@sha256:<64 hex>');
  if (!composeText.includes('IMAGE_REFERENCE')) throw new Error('the compose file has no IMAGE_REFERENCE placeholder');
  const app = {
    allowed_envs: ALLOWED_ENVS,
    docker_compose_file: composeText.replaceAll('IMAGE_REFERENCE', image),
    gateway_enabled: true,
    kms_enabled: true,
    local_key_provider_enabled: false,
    manifest_version: 2,
    name: 'cloister',
    no_instance_id: false,
    public_logs: false,
    public_sysinfo: true,
    public_tcbinfo: true,
    runner: 'docker-compose',
    secure_time: true,
  };
  const text = canonicalJson(app);
  return { text, composeHash: createHash('sha256').update(text, 'utf8').digest('hex') };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { image: { type: 'string' }, compose: { type: 'string' }, out: { type: 'string' } } });
  if (!values.image) {
    console.error('usage: node scripts/make-app-compose.mjs --image name@sha256:<digest> [--compose FILE] [--out app-compose.json]');
    process.exit(2);
  }
  const compose = readFileSync(values.compose ?? new URL('../attestation/docker-compose.tee.yml', import.meta.url), 'utf8');
  const { text, composeHash } = makeAppCompose(compose, values.image);
  writeFileSync(values.out ?? 'app-compose.json', text);
  console.log(`wrote ${values.out ?? 'app-compose.json'}`);
  console.log(`compose hash (RTMR3 compose-hash event, MRCONFIGID = 01 || hash): ${composeHash}`);
}
