#!/usr/bin/env node
// Assembles the OCI image layout from finished layer tars: moves each tar into blobs/ as an
// uncompressed layer (so a layer's digest is the sha256 of the tar itself), writes the image
// config, the manifest, index.json and oci-layout, and prints the manifest digest. Nothing here
// reads the clock, the host or an input's file name: the same layers and arguments give the same
// bytes. The config's history says what each layer is in words.
//
// Usage: assemble-oci.mjs --out DIR --epoch E --commit C --version V --source URL --ref NAME
//          --layer FILE=DESCRIPTION [--layer ...]      (base first)
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const LAYER = 'application/vnd.oci.image.layer.v1.tar';
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const PORT = 8080;
const DATA_DIR = '/var/lib/cloister';
const SECOND = 1_000_000_000; // Docker's health-check durations are in nanoseconds

/** The image config: how the server runs, and what each layer is. */
export function imageConfig({ epoch, commit, version, source, diffIds, descriptions }) {
  const created = new Date(Number(epoch) * 1000).toISOString().replace(/\.000Z$/, 'Z');
  return {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: '1000:1000',
      ExposedPorts: { [`${PORT}/tcp`]: {} },
      Env: [
        'PATH=/usr/local/bin:/usr/bin:/bin',
        'NODE_ENV=production',
        'HOST=0.0.0.0',
        `PORT=${PORT}`,
        `DATA_DIR=${DATA_DIR}`,
      ],
      Entrypoint: ['/usr/local/bin/node', '/app/bin/cloister.js'],
      // The one writable place (owned by node, 0700): a container started with --read-only and
      // no mount of its own still gets a volume here instead of failing on its first write.
      Volumes: { [DATA_DIR]: {} },
      Cmd: ['serve'],
      WorkingDir: '/app',
      Labels: {
        'org.opencontainers.image.created': created,
        'org.opencontainers.image.revision': commit,
        'org.opencontainers.image.source': source,
        'org.opencontainers.image.title': 'cloister',
        'org.opencontainers.image.version': version,
      },
      StopSignal: 'SIGTERM',
      Healthcheck: {
        Test: ['CMD', '/usr/local/bin/node', '-e',
          "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"],
        Interval: 30 * SECOND,
        Timeout: 5 * SECOND,
        StartPeriod: 20 * SECOND,
        Retries: 3,
      },
    },
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: descriptions.map((created_by) => ({ created, created_by })),
  };
}

async function sha256File(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

function writeBlob(dir, bytes) {
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(dir, 'blobs', 'sha256', hex), bytes);
  return { digest: `sha256:${hex}`, size: bytes.length };
}

function moveInto(from, to) {
  try {
    renameSync(from, to);
  } catch (e) {
    if (e.code !== 'EXDEV') throw e;
    copyFileSync(from, to);
    rmSync(from);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' }, epoch: { type: 'string' }, commit: { type: 'string' }, version: { type: 'string' },
      source: { type: 'string' }, ref: { type: 'string' }, layer: { type: 'string', multiple: true },
    },
  });
  for (const k of ['out', 'epoch', 'commit', 'version', 'source', 'ref']) if (!values[k]) throw new Error(`--${k} is required`);
  if (!/^\d+$/.test(values.epoch)) throw new Error('--epoch must be seconds since 1970');
  if (!values.layer?.length) throw new Error('at least one --layer FILE=DESCRIPTION');
  const out = values.out;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'blobs', 'sha256'), { recursive: true });

  const layers = [];
  const descriptions = [];
  for (const spec of values.layer) {
    const at = spec.indexOf('=');
    if (at < 1) throw new Error(`--layer ${spec}: expected FILE=DESCRIPTION`);
    const file = spec.slice(0, at);
    const hex = await sha256File(file);
    const size = statSync(file).size;
    moveInto(file, join(out, 'blobs', 'sha256', hex));
    layers.push({ mediaType: LAYER, digest: `sha256:${hex}`, size });
    descriptions.push(spec.slice(at + 1));
  }
  const config = imageConfig({ ...values, diffIds: layers.map((l) => l.digest), descriptions });
  const configBlob = writeBlob(out, Buffer.from(JSON.stringify(config)));
  const manifest = { schemaVersion: 2, mediaType: MANIFEST, config: { mediaType: CONFIG, ...configBlob }, layers };
  const manifestBlob = writeBlob(out, Buffer.from(JSON.stringify(manifest)));
  const index = {
    schemaVersion: 2,
    mediaType: INDEX,
    manifests: [{ mediaType: MANIFEST, ...manifestBlob, annotations: { 'org.opencontainers.image.ref.name': values.ref } }],
  };
  writeFileSync(join(out, 'index.json'), JSON.stringify(index));
  writeFileSync(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  console.log(manifestBlob.digest);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((e) => {
    console.error(`assemble-oci: ${e.message}`);
    process.exit(1);
  });
}
