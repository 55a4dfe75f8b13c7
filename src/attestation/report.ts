// Builds the attestation report: a quote whose report_data binds Cloister's signing address
// (and its TLS key when it terminates TLS) and the caller's nonce, plus dstack's event log and
// Info, the build identity, and optionally the model provider's own attestation passed through
// verbatim. Without a caller nonce, one server-nonce report is cached and built single-flight.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.ts';
import { bytesToHex } from '../tdx/bytes.ts';
import { buildReportData, bindFromAddress, bindFromAddressAndTls } from '../tdx/report-data.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { BuildInfo } from '../build-info.ts';
import type { Dstack } from './dstack-client.ts';
import type { SigningAlgo, SigningKeys } from './signing-keys.ts';

export interface ReportRequest {
  readonly nonce: Uint8Array | null;
  readonly algo: SigningAlgo;
  readonly includeTls: boolean;
  readonly model: string | null;
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

  async function gateway(req: ReportRequest, nonce: Uint8Array): Promise<Record<string, unknown>> {
    const keys = await deps.keys();
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

  /** The model provider's report, raw; a failure is reported, never fatal. */
  async function modelReport(req: ReportRequest, nonce: Uint8Array): Promise<{ raw: string } | { error: string }> {
    if (!deps.upstream.configured) return { error: 'no model upstream is configured' };
    const query = new URLSearchParams({ model: req.model!, nonce: bytesToHex(nonce), signing_algo: req.algo }).toString();
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
    const nonce = req.nonce ?? new Uint8Array(randomBytes(32));
    const [g, m] = await Promise.all([gateway(req, nonce), req.model === null ? Promise.resolve(null) : modelReport(req, nonce)]);
    const head = `{"gateway_attestation":${JSON.stringify(g)},"model_attestations":`;
    if (m === null) return `${head}null}`;
    if ('raw' in m) return `${head}${m.raw}}`;
    return `${head}null,"upstream_error":${JSON.stringify(m.error)}}`;
  }

  return {
    build(req) {
      if (req.nonce !== null) return assemble(req);
      const key = `${req.algo}|${req.includeTls}|${req.model ?? ''}`;
      const hit = cache.get(key);
      if (hit && deps.now() - hit.at < deps.cacheMs) return hit.body;
      const body = assemble(req);
      cache.set(key, { at: deps.now(), body });
      body.catch(() => { if (cache.get(key)?.body === body) cache.delete(key); });
      return body;
    },
  };
}
