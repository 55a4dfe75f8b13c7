// attestation/releases.json: commit -> image digest -> compose hash, as an auditor reads it.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
// @ts-expect-error -- plain .mjs scripts without type declarations
import { appendRelease, releaseEntry, FORMAT } from '../../../scripts/record-release.mjs';
// @ts-expect-error -- plain .mjs scripts without type declarations
import { makeAppCompose } from '../../../scripts/make-app-compose.mjs';

const composeText = readFileSync(new URL('../../../attestation/docker-compose.tee.yml', import.meta.url), 'utf8');
const digest = `sha256:${'ab'.repeat(32)}`;
const entry = (over: Record<string, unknown> = {}) => releaseEntry({
  version: '0.1.0', commit: 'c'.repeat(40), sourceDateEpoch: '1796304689', repository: 'ghcr.io/cloister-dev/cloister',
  manifestDigest: digest, layers: [`sha256:${'1'.repeat(64)}`, `sha256:${'4'.repeat(64)}`], composeText, node: '24.21.0', ...over,
});

describe('record-release', () => {
  it('records the compose hash make-app-compose prints for that image', () => {
    const e = entry();
    expect(e.image).to.equal(`ghcr.io/cloister-dev/cloister@${digest}`);
    expect(e.compose_hash).to.equal(makeAppCompose(composeText, e.image).composeHash);
    expect(e.app_layer).to.equal(`sha256:${'4'.repeat(64)}`);
  });

  it('starts the committed file format and appends in order', () => {
    const committed = JSON.parse(readFileSync(new URL('../../../attestation/releases.json', import.meta.url), 'utf8'));
    expect(committed.format).to.equal(FORMAT);
    const one = appendRelease(committed, entry());
    const two = appendRelease(one, entry({ commit: 'd'.repeat(40), manifestDigest: `sha256:${'cd'.repeat(32)}` }));
    expect(two.releases.map((r: { commit: string }) => r.commit).slice(-2)).to.deep.equal(['c'.repeat(40), 'd'.repeat(40)]);
  });

  it('records the same release once, and refuses a second digest for one commit', () => {
    const one = appendRelease(null, entry());
    expect(appendRelease(one, entry())).to.deep.equal(one);
    expect(() => appendRelease(one, entry({ manifestDigest: `sha256:${'ef'.repeat(32)}` }))).to.throw(/already recorded/);
  });

  it('refuses what is not a commit or a digest', () => {
    expect(() => entry({ commit: 'HEAD' })).to.throw(/40 hex/);
    expect(() => entry({ manifestDigest: 'latest' })).to.throw(/sha256/);
  });
});
