// Released images (attestation/releases.json, format cloister-releases/1, written by
// scripts/record-release.mjs): commit → image digest → compose hash. Given to the verifier, it
// narrows what is acceptable to the released app-composes: the measured compose hash must be a
// release's, and then the app-compose it names (so its image digests) is exactly that release's.
import type { VerifyPolicy } from './types.ts';
import { VerifyInputError } from './input-error.ts';

/** One released image, as the record names it. */
export interface Release {
  readonly version: string;
  readonly commit: string;
  readonly image: string;
  readonly image_digest: string;
  readonly compose_hash: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parses and checks a releases record (the JSON value of the file). */
export function parseReleases(v: unknown): Release[] {
  const bad = (what: string) => new VerifyInputError(`releases: ${what}`);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('not a JSON object');
  const o = v as { format?: unknown; releases?: unknown };
  if (o.format !== 'cloister-releases/1') throw bad(`format must be "cloister-releases/1", not ${JSON.stringify(o.format)}`);
  if (!Array.isArray(o.releases)) throw bad('releases must be a list');
  return o.releases.map((r: unknown, i) => {
    const e = (r ?? {}) as Record<string, unknown>;
    const field = (name: string, test: RegExp) => {
      const value = e[name];
      if (typeof value !== 'string' || !test.test(value)) throw bad(`releases[${i}].${name} is not valid`);
      return value;
    };
    return {
      version: field('version', /^\S{1,64}$/),
      commit: field('commit', /^[0-9a-f]{40}$/),
      image: field('image', /^\S+@sha256:[0-9a-f]{64}$/),
      image_digest: field('image_digest', DIGEST),
      compose_hash: field('compose_hash', HEX64),
    };
  });
}

/** `policy` narrowed to the released compose hashes and image digests (an empty record accepts none). */
export function releasePolicy(policy: VerifyPolicy, releases: readonly Release[]): VerifyPolicy {
  const composeHashes = releases.map((r) => r.compose_hash);
  const digests = releases.map((r) => r.image_digest);
  const narrow = (current: string[], released: string[]) => (current.length ? current.filter((x) => released.includes(x)) : released);
  // A release record with no entries allows nothing: a hash no report can have stands in.
  const none = ['0'.repeat(64)];
  return {
    ...policy,
    app: {
      compose_hashes: releases.length ? narrow(policy.app.compose_hashes, composeHashes) : none,
      image_digests: releases.length ? narrow(policy.app.image_digests, digests) : [`sha256:${'0'.repeat(64)}`],
    },
    require: [...new Set([...policy.require, 'app_compose.hash' as const, 'app_compose.images_pinned' as const])],
  };
}

/** The release a verified compose hash belongs to, if any. */
export function releaseOf(releases: readonly Release[], composeHash: string | undefined): Release | undefined {
  return composeHash === undefined ? undefined : releases.find((r) => r.compose_hash === composeHash);
}
