#!/usr/bin/env node
// Appends a release to attestation/releases.json: which commit was built into which image digest,
// and which compose hash dstack measures when that image runs from attestation/docker-compose.tee.yml
// at that commit — the record an auditor walks from a quote back to the source
// (docs/build-and-deploy.md, "From a quote to the source"). The digest is read from the OCI layout
// scripts/build-image.sh wrote for that commit, so a typo cannot be recorded.
// Usage: node scripts/record-release.mjs --repository REGISTRY/NAME [--rev REV] [--layout DIR] [--file FILE]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeAppCompose } from './make-app-compose.mjs';

export const FORMAT = 'cloister-releases/1';
const HEX40 = /^[0-9a-f]{40}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** The release entry for one built commit. */
export function releaseEntry({ version, commit, sourceDateEpoch, repository, manifestDigest, layers, composeText, node }) {
  if (!HEX40.test(commit)) throw new Error(`commit must be 40 hex digits: ${commit}`);
  if (!DIGEST.test(manifestDigest)) throw new Error(`image digest must be sha256:<64 hex>: ${manifestDigest}`);
  const image = `${repository}@${manifestDigest}`;
  const { composeHash } = makeAppCompose(composeText, image);
  return {
    version,
    commit,
    source_date_epoch: sourceDateEpoch,
    image,
    image_digest: manifestDigest,
    app_layer: layers.at(-1),
    layers,
    node,
    compose_hash: composeHash,
  };
}

/** The file with `entry` appended; the same entry again changes nothing, another digest for a recorded commit is refused. */
export function appendRelease(file, entry) {
  const doc = file ?? { format: FORMAT, releases: [] };
  if (doc.format !== FORMAT) throw new Error(`unknown releases format ${doc.format}`);
  const same = doc.releases.find((r) => r.commit === entry.commit && r.image === entry.image);
  if (same) {
    if (JSON.stringify(same) !== JSON.stringify(entry)) throw new Error(`commit ${entry.commit} is recorded for ${entry.image} with other values`);
    return doc;
  }
  const other = doc.releases.find((r) => r.commit === entry.commit && r.image_digest !== entry.image_digest);
  if (other) throw new Error(`commit ${entry.commit} is already recorded with image ${other.image_digest}; a commit builds one image`);
  return { ...doc, releases: [...doc.releases, entry] };
}

/** git's output as it is (a file's bytes through `git show` keep their trailing newlines). */
function gitRaw(root, ...args) {
  return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' });
}
const git = (root, ...args) => gitRaw(root, ...args).trim();

function readLayout(dir) {
  const blob = (digest) => JSON.parse(readFileSync(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), 'utf8'));
  const manifestDigest = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests[0].digest;
  const manifest = blob(manifestDigest);
  const config = blob(manifest.config.digest);
  return { manifestDigest, layers: manifest.layers.map((l) => l.digest), revision: config.config.Labels['org.opencontainers.image.revision'] };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const root = new URL('..', import.meta.url).pathname;
    const { values } = parseArgs({ options: { repository: { type: 'string' }, rev: { type: 'string' }, layout: { type: 'string' }, file: { type: 'string' } } });
    if (!values.repository || !/^[\w.-]+(:\d+)?(\/[\w.-]+)+$/.test(values.repository)) throw new Error('--repository REGISTRY/NAME is required (no tag, no digest)');
    const commit = git(root, 'rev-parse', `${values.rev ?? 'HEAD'}^{commit}`);
    const layout = readLayout(values.layout ?? join(root, '.image', 'oci'));
    if (layout.revision !== commit) throw new Error(`the layout was built from ${layout.revision}, not ${commit}: run scripts/build-image.sh --rev ${commit} first`);
    const file = values.file ?? join(root, 'attestation', 'releases.json');
    const entry = releaseEntry({
      version: JSON.parse(git(root, 'show', `${commit}:package.json`)).version,
      commit,
      sourceDateEpoch: git(root, 'log', '-1', '--format=%ct', commit),
      repository: values.repository,
      manifestDigest: layout.manifestDigest,
      layers: layout.layers,
      composeText: gitRaw(root, 'show', `${commit}:attestation/docker-compose.tee.yml`),
      node: JSON.parse(git(root, 'show', `${commit}:image/lock.json`)).node.version,
    });
    const doc = appendRelease(existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null, entry);
    writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
    console.log(`recorded ${entry.version} ${commit} -> ${entry.image}`);
    console.log(`compose hash ${entry.compose_hash}`);
  } catch (e) {
    console.error(`record-release: ${e.message}`);
    process.exit(1);
  }
}
