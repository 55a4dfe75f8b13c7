// Attestation by mode: `dstack` talks to the real guest agent, `simulated` starts the
// simulator on a socket under DATA_DIR and talks to it through the same client, `off` has no
// reports and no signing. Keys are derived lazily once and shared.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import { readBuildInfo } from '../build-info.ts';
import { appRoot } from '../app-root.ts';
import { createDstackClient, describeMissingSocket, watchDstack, type Dstack } from './dstack-client.ts';
import { ATTESTATION_OFF_READINESS, createAttestationReadiness, type AttestationReadiness } from './readiness.ts';
import { startSimulator, type Simulator } from './simulator.ts';
import { deriveSigningKeys, type SigningKeys } from './signing-keys.ts';
import { createReportBuilder, type ReportBuilder } from './report.ts';

export interface Attestation {
  readonly mode: Config['attestation']['mode'];
  /** null when mode is off */
  readonly reports: ReportBuilder | null;
  readonly keys: (() => Promise<SigningKeys>) | null;
  readonly tlsEnabled: boolean;
  /** whether attestation works now: the readiness route and the inference gate read it */
  readonly readiness: AttestationReadiness;
  close(): Promise<void>;
}

/** How long the readiness probe may take before it counts as a failure. */
const PROBE_TIMEOUT_MS = 3_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const APP_ROOT = appRoot();
/** The app-compose the simulator measures (what a dstack deployment of this checkout would run). */
export const DEV_APP_COMPOSE = join(APP_ROOT, 'attestation', 'app-compose.dev.json');

/** sha256 of the certificate's SubjectPublicKeyInfo DER. */
export function spkiSha256(certPem: string): Uint8Array {
  const cert = new x509.X509Certificate(certPem);
  return new Uint8Array(createHash('sha256').update(new Uint8Array(cert.publicKey.rawData)).digest());
}

/** Builds attestation for the configured mode. */
export async function createAttestation(deps: { config: Config; logger: Logger; clock: Clock; upstream: UpstreamClient; appRoot?: string }): Promise<Attestation> {
  const { config, logger } = deps;
  const mode = config.attestation.mode;
  if (mode === 'off') {
    logger.warn({ event: 'attestation.mode', mode: 'off', detail: 'no attestation reports and no response signatures' });
    return { mode, reports: null, keys: null, tlsEnabled: false, readiness: ATTESTATION_OFF_READINESS, close: async () => {} };
  }
  let simulator: Simulator | null = null;
  let socketPath = config.attestation.dstackSocket;
  if (mode === 'simulated') {
    const dataDir = resolve(config.dataDir);
    socketPath = join(dataDir, 'dstack-simulator.sock');
    simulator = await startSimulator({ socketPath, seedFile: join(dataDir, 'dstack-simulator-seed'), appCompose: readFileSync(DEV_APP_COMPOSE, 'utf8') });
    logger.warn({ event: 'attestation.mode', mode: 'simulated', detail: 'SIMULATED attestation: quotes are signed by a generated root, not Intel; reports say "simulated": true' });
  } else {
    logger.info({ event: 'attestation.mode', mode: 'dstack', socket: socketPath, required: config.attestation.required });
  }
  const client = createDstackClient(socketPath);
  let keysPromise: Promise<SigningKeys> | null = null;
  // Every failing dstack call closes the inference gate until a probe succeeds again.
  const readiness = createAttestationReadiness({
    probe: async () => {
      const missing = describeMissingSocket(socketPath);
      if (missing) throw new Error(missing);
      await withTimeout(Promise.all([client.ping(), keys()]), PROBE_TIMEOUT_MS, 'the dstack socket');
    },
    required: config.attestation.required, clock: deps.clock, logger,
  });
  const dstack: Dstack = watchDstack(client, (e) => readiness.reportFailure(e));
  const keys = () => {
    keysPromise ??= deriveSigningKeys(dstack).catch((e: unknown) => { keysPromise = null; throw e; });
    return keysPromise;
  };
  // The first reading, before the server listens: a missing socket is known at once.
  await readiness.report();
  const tls = config.server.tls ? spkiSha256(readFileSync(config.server.tls.certFile, 'utf8')) : null;
  const reports = createReportBuilder({
    dstack, keys, simulated: mode === 'simulated', build: readBuildInfo(deps.appRoot ?? APP_ROOT), tlsSpkiSha256: tls,
    upstream: deps.upstream, cacheMs: config.attestation.reportCacheMs, now: () => deps.clock.now().getTime(), logger,
  });
  return {
    mode, reports, keys, tlsEnabled: tls !== null, readiness,
    async close() {
      readiness.close();
      await dstack.close();
      await simulator?.close();
    },
  };
}
