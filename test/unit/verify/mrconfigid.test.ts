// MRCONFIGID in dstack's three formats (finding 5: v2 and v3 were rejected). Each expected value
// is computed here from dstack's definition with node:crypto / keccak, not with src/tdx/mr-config.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { verifyReport } from '../../../src/verify/verify-report.ts';
import type { Check, VerifyResult } from '../../../src/verify/types.ts';
import { makeSimReport, SIM_APP_ID, SIM_INSTANCE_ID } from './sim-report.ts';

const byId = (r: VerifyResult, id: string): Check => r.checks.find((c) => c.id === id) as Check;
const opts = { allowSimulated: true };
const configId = (version: number, digest: Uint8Array): Uint8Array => Uint8Array.from([version, ...digest, ...new Uint8Array(15)]);
const KMS_ROOT = '02' + '5e'.repeat(32);

function v2(composeHash: string, keyProviderKind: number, keyProviderId: string): Uint8Array {
  return configId(2, keccak_256(Buffer.concat([Buffer.from(composeHash, 'hex'), Buffer.from(SIM_APP_ID, 'hex'), Buffer.of(keyProviderKind), Buffer.from(keyProviderId, 'hex')])));
}
function v3(document: string): Uint8Array {
  return configId(3, createHash('sha256').update('dstack-mr-config-v3:').update(Buffer.of(0)).update(document).digest());
}
const v3Document = (composeHash: string, extra: Record<string, unknown> = {}): string => JSON.stringify(Object.fromEntries(Object.entries({
  app_id: SIM_APP_ID, compose_hash: composeHash, instance_id: SIM_INSTANCE_ID, key_provider: 'kms', key_provider_id: KMS_ROOT, version: 3, ...extra,
}).sort(([a], [b]) => (a < b ? -1 : 1))));

describe('verify: MRCONFIGID v1, v2 and v3 (finding 5)', () => {
  it('v1 (01 ‖ compose hash) passes', async () => {
    const sim = await makeSimReport();
    expect(byId(await verifyReport(sim.report, opts), 'app_compose.mrconfigid')).to.include({ status: 'pass' });
  });

  it('v2 (dstack writes it when the app-compose sets key_provider_id) is accepted', async () => {
    const sim = await makeSimReport({ appCompose: { kms_enabled: true, key_provider_id: KMS_ROOT }, mrConfigId: (m) => v2(m.composeHash, 2, KMS_ROOT) });
    const c = byId(await verifyReport(sim.report, opts), 'app_compose.mrconfigid');
    expect(c.status, c.detail).to.equal('pass');
    expect(c.detail).to.match(/v2: .*key provider kms/);
  });

  it('v2 made with another key provider (kind or id) is rejected', async () => {
    const wrongKind = await makeSimReport({ appCompose: { kms_enabled: true, key_provider_id: KMS_ROOT }, mrConfigId: (m) => v2(m.composeHash, 1, KMS_ROOT) });
    expect(byId(await verifyReport(wrongKind.report, opts), 'app_compose.mrconfigid').status).to.equal('fail');
    const wrongId = await makeSimReport({ appCompose: { kms_enabled: true, key_provider_id: KMS_ROOT }, mrConfigId: (m) => v2(m.composeHash, 2, '03' + '5e'.repeat(32)) });
    expect(byId(await verifyReport(wrongId.report, opts), 'app_compose.mrconfigid').status).to.equal('fail');
    const noId = await makeSimReport({ appCompose: { kms_enabled: true }, mrConfigId: (m) => v2(m.composeHash, 2, '') });
    expect(byId(await verifyReport(noId.report, opts), 'app_compose.mrconfigid').detail).to.match(/key_provider_id, which is not set/);
  });

  it('v3 (sha256 of the mr_config document carried in vm_config) is accepted', async () => {
    const appCompose = { kms_enabled: true, key_provider_id: KMS_ROOT };
    const probe = await makeSimReport({ appCompose });
    const document = v3Document(probe.composeHash);
    const sim = await makeSimReport({ appCompose, mrConfigId: () => v3(document), vmConfig: JSON.stringify({ os_image_hash: 'cc'.repeat(32), mr_config: document }) });
    const c = byId(await verifyReport(sim.report, opts), 'app_compose.mrconfigid');
    expect(c.status, c.detail).to.equal('pass');
    expect(c.detail).to.match(/v3: .*key provider kms, app_id, instance_id, key_provider_id/);
  });

  it('v3 is rejected when the document is missing, altered, names another compose hash, app id or key provider, or has unknown fields', async () => {
    const appCompose = { kms_enabled: true, key_provider_id: KMS_ROOT };
    const { composeHash } = await makeSimReport({ appCompose });
    const cases: [string, string, string, RegExp][] = [
      ['missing', v3Document(composeHash), '', /carries none/],
      ['altered after hashing', v3Document(composeHash), v3Document(composeHash).replace('"version":3', '"version":3 '), /is not 03/],
      ['another compose hash', v3Document('ab'.repeat(32)), v3Document('ab'.repeat(32)), /compose_hash .* is not the measured/],
      ['another app id', v3Document(composeHash, { app_id: 'cd'.repeat(20) }), v3Document(composeHash, { app_id: 'cd'.repeat(20) }), /app_id .* is not the measured app-id/],
      ['another key provider', v3Document(composeHash, { key_provider: 'local' }), v3Document(composeHash, { key_provider: 'local' }), /key_provider "local"/],
      ['an unknown field', v3Document(composeHash, { extra: 1 }), v3Document(composeHash, { extra: 1 }), /unknown field "extra"/],
    ];
    for (const [name, hashed, shown, why] of cases) {
      const vmConfig = shown === '' ? '{}' : JSON.stringify({ mr_config: shown });
      const sim = await makeSimReport({ appCompose, mrConfigId: () => v3(hashed), vmConfig });
      const c = byId(await verifyReport(sim.report, opts), 'app_compose.mrconfigid');
      expect(c.status, name).to.equal('fail');
      expect(c.detail, name).to.match(why);
    }
  });

  it('a version byte dstack does not write, or non-zero padding, is rejected; all zero is a named skip', async () => {
    const v4 = await makeSimReport({ mrConfigId: (m) => configId(4, Buffer.from(m.composeHash, 'hex')) });
    expect(byId(await verifyReport(v4.report, opts), 'app_compose.mrconfigid').detail).to.match(/version 4 is not one dstack writes/);
    const padded = await makeSimReport({ mrConfigId: (m) => { const b = configId(1, Buffer.from(m.composeHash, 'hex')); b[47] = 1; return b; } });
    expect(byId(await verifyReport(padded.report, opts), 'app_compose.mrconfigid').status).to.equal('fail');
    const zero = await makeSimReport({ mrConfigId: () => new Uint8Array(48) });
    const c = byId(await verifyReport(zero.report, opts), 'app_compose.mrconfigid');
    expect(c).to.include({ status: 'skip', brief: 'MRCONFIGID zero, older dstack' });
  });
});
