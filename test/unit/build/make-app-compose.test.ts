import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
// @ts-expect-error -- a plain .mjs script without type declarations
import { makeAppCompose } from '../../../scripts/make-app-compose.mjs';
import { verifyReport } from '../../../src/verify/verify-report.ts';
import { makeSimReport } from '../verify/sim-report.ts';

const IMAGE = `ghcr.io/cloister-dev/cloister@sha256:${'ab'.repeat(32)}`;
const compose = readFileSync(new URL('../../../attestation/docker-compose.tee.yml', import.meta.url), 'utf8');

describe('make-app-compose', () => {
  it('prints the sha256 of the exact bytes it produces, with the image pinned in', () => {
    const { text, composeHash } = makeAppCompose(compose, IMAGE) as { text: string; composeHash: string };
    expect(composeHash).to.equal(createHash('sha256').update(text).digest('hex'));
    expect(JSON.parse(text).docker_compose_file).to.contain(`image: ${IMAGE}`);
    expect(text).to.not.contain('IMAGE_REFERENCE');
    expect(Object.keys(JSON.parse(text))).to.deep.equal(Object.keys(JSON.parse(text)).sort());
  });

  it('refuses an image not pinned by digest', () => {
    expect(() => makeAppCompose(compose, 'ghcr.io/cloister-dev/cloister:latest')).to.throw(/sha256/);
  });

  it('gives the verifier the same image pin and compose hash it computes', async () => {
    const { text, composeHash } = makeAppCompose(compose, IMAGE) as { text: string; composeHash: string };
    const sim = await makeSimReport({ image: IMAGE });
    // Put our app-compose into an otherwise valid report's info: the verifier recomputes from it.
    const report = structuredClone(sim.report);
    (report.gateway_attestation.info as { tcb_info: { app_compose: string } }).tcb_info.app_compose = text;
    const result = await verifyReport(report, { appCompose: text, composeHash, imageDigest: `sha256:${'ab'.repeat(32)}`, allowSimulated: true });
    const images = result.checks.find((c) => c.id === 'app_compose.images_pinned')!;
    expect(images.status, images.detail).to.equal('pass');
    // The measured compose-hash event is the simulated report's, so hash equality with it fails: expected.
    expect(result.checks.find((c) => c.id === 'app_compose.hash')!.detail).to.contain(composeHash.slice(0, 12));
  });
});
