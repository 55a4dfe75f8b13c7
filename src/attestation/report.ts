// Builds the attestation report: a quote whose report_data binds Cloister's signing address
// (and its TLS key when it terminates TLS) and the caller's nonce, plus dstack's event log and
// Info, the build identity, and the model provider's attestations as the array of attestation
// objects NEAR's and Phala's verifiers read, each byte for byte as the provider sent it. With
// `signing_address`, the report is that signer's: Cloister's own, or (with a model) the
// provider's attestations of that signer; anyone else's is a 404, as NEAR answers. Without a
// caller nonce, one server-nonce report is cached and built single-flight.
import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { bytesToHex } from '../tdx/bytes.ts';
import { buildReportData, bindFromAddress, bindFromAddressAndTls } from '../tdx/report-data.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { BuildInfo } from '../build-info.ts';
import type { Dstack } from './dstack-client.ts';
import type { SigningAlgo, SigningKeys } from './signing-keys.ts';
import { modelAttestationsOf } from './model-attestations.ts';

export interface ReportRequest {
  readonly nonce: Uint8Array | null;
  readonly algo: SigningAlgo;
  readonly includeTls: boolean;
  readonly model: string | null;
  /** lower-case hex without 0x: whose attestation is asked for (null: Cloister's) */
  readonly signingAddress: string | null;
  readonly requestId: string;
}

export interface ReportBuilder {
  /** the report as JSON text (text, so the upstream part stays byte-for-byte verbatim) */
  build(req: ReportRequest): Promise<string>;
}

export interface ReportDeps {
  readonly dstack: Dstack;
  readonly keys: () => Promise<SigningKeys>;
  readonly simulated: boolean;
  readonly build: BuildInfo;
  /** sha256 of the TLS certificate's SPKI DER, when Cloister serves TLS itself */
  readonly tlsSpkiSha256: Uint8Array | null;
  readonly upstream: UpstreamClient;
  readonly cacheMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

const UPSTREAM_REPORT_TIMEOUT_MS = 15_000;

/** Creates the report builder. */
export function createReportBuilder(deps: ReportDeps): ReportBuilder {
  const cache = new Map<string, { at: number; body: Promise<string> }>();

  async function gateway(req: ReportRequest, nonce: Uint8Array, keys: SigningKeys): Promise<Record<string, unknown>> {
    const address = keys.addressBytes(req.algo);
    const bind = req.includeTls && deps.tlsSpkiSha256 ? bindFromAddressAndTls(address, deps.tlsSpkiSha256) : bindFromAddress(address);
    const reportData = buildReportData(bind, nonce);
    const [quote, info] = await Promise.all([deps.dstack.getQuote(reportData), deps.dstack.info()]);
    const eventLog = typeof quote.event_log === 'string' ? JSON.parse(quote.event_log) as unknown : quote.event_log;
    return {
      signing_address: keys.address(req.algo),
      signing_algo: req.algo,
      request_nonce: bytesToHex(nonce),
      report_data: bytesToHex(reportData),
      tls_cert_fingerprint: req.includeTls && deps.tlsSpkiSha256 ? bytesToHex(deps.tlsSpkiSha256) : null,
      intel_quote: quote.quote,
      event_log: eventLog,
      vm_config: quote.vm_config ?? info.vm_config ?? null,
      info,
      build: deps.build,
      simulated: deps.simulated,
    };
  }

  /** The model provider's report, raw; a failure is reported, never fatal. `signer`: ask for that signer's attestations. */
  async function modelReport(req: ReportRequest, nonce: Uint8Array, signer: string | null): Promise<{ raw: string } | { error: string }> {
    if (!deps.upstream.configured) return { error: 'no model upstream is configured' };
    const params: Record<string, string> = { model: req.model!, nonce: bytesToHex(nonce), signing_algo: req.algo };
    if (signer !== null) params.signing_address = signer;
    const query = new URLSearchParams(params).toString();
    const abort = AbortSignal.timeout(UPSTREAM_REPORT_TIMEOUT_MS);
    try {
      const res = await deps.upstream.fetch({ method: 'GET', path: '/attestation/report', query, clientHeaders: {}, requestId: req.requestId }, { signal: abort });
      const raw = res.body.toString('utf8');
      if (res.status !== 200) return { error: `upstream answered ${res.status}` };
      JSON.parse(raw); // must be JSON to be embedded; kept as received
      return { raw };
    } catch (e) {
      deps.logger.warn({ event: 'attestation.model_report_failed', request_id: req.requestId, err: { type: (e as Error).name, code: (e as { code?: string }).code } });
      return { error: abort.aborted ? 'upstream attestation timed out' : 'upstream attestation could not be fetched' };
    }
  }

  async function assemble(req: ReportRequest): Promise<string> {
    const keys = await deps.keys();
    // Whose report: Cloister's (no signing_address, or its own), else the provider's signer's.
    const foreignSigner = req.signingAddress !== null && req.signingAddress !== bytesToHex(keys.addressBytes(req.algo)) ? req.signingAddress : null;
    const notFound = () => new AppError('not_found', `No attestation for signing address ${req.signingAddress} (${req.algo}).`, { param: 'signing_address' });
    if (foreignSigner !== null && req.model === null) throw notFound();
    const nonce = req.nonce ?? new Uint8Array(randomBytes(32));
    const [g, m] = await Promise.all([gateway(req, nonce, keys), req.model === null ? Promise.resolve(null) : modelReport(req, nonce, foreignSigner)]);
    let items: readonly string[] = [];
    let error: string | null = null;
    if (m !== null) {
      const extracted = 'raw' in m ? modelAttestationsOf(m.raw, foreignSigner) : m;
      if ('items' in extracted) items = extracted.items;
      else error = extracted.error;
    }
    if (foreignSigner !== null && items.length === 0) throw notFound();
    const tail = error === null ? '' : `,"upstream_error":${JSON.stringify(error)}`;
    return `{"gateway_attestation":${JSON.stringify(g)},"model_attestations":[${items.join(',')}]${tail}}`;
  }

  return {
    build(req) {
      if (req.nonce !== null) return assemble(req);
      const key = `${req.algo}|${req.includeTls}|${req.model ?? ''}|${req.signingAddress ?? ''}`;
      const hit = cache.get(key);
      if (hit && deps.now() - hit.at < deps.cacheMs) return hit.body;
      const body = assemble(req);
      cache.set(key, { at: deps.now(), body });
      body.catch(() => { if (cache.get(key)?.body === body) cache.delete(key); });
      return body;
    },
  };
}
