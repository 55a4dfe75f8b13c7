// verifyReport: runs every check on a Cloister attestation report and returns them in a fixed
// order with a verdict. Pure: no I/O (collateral, files and network are the caller's business).
//
// Simulated mode rule: a report's quote may chain to a root other than the trusted ones only
// when BOTH the caller passed `allowSimulated` AND the report says `"simulated": true`; then
// the self-signed root at the top of the quote's own PCK chain is accepted (and the detail says
// so). The `simulated` check still reports the mode, and without `allowSimulated` it fails.
import { hexToBytes } from '../tdx/bytes.ts';
import type { TdxQuote } from '../tdx/quote-parse.ts';
import { fail, pass, skip } from './check.ts';
import { checkComposeHash, checkImagesPinned, checkMrConfigId } from './compose-checks.ts';
import { checkEventLog } from './event-log-checks.ts';
import { intelSgxRootCa } from './intel-root.ts';
import { parseRoots } from './pck-chain.ts';
import { checkPckChain, checkQeReport, checkQuoteParse, checkQuoteSignature } from './quote-checks.ts';
import { checkBinding, checkNonce } from './binding.ts';
import { checkResponseSignature } from './response-signature.ts';
import { checkTcb } from './tcb.ts';
import { checkTdAttributes } from './td-attributes.ts';
import { defaultPolicy } from './default-policy.ts';
import { VerifyInputError } from './input-error.ts';
import { checkOsMeasurements } from './os-checks.ts';
import { verdictOf } from './verdict.ts';
import { CHECK_IDS, type AttestationReport, type Check, type CheckId, type GatewayAttestation, type VerifyOptions, type VerifyResult } from './types.ts';

export { VerifyInputError };

function hex32(value: string | undefined, name: string): void {
  if (value === undefined) return;
  let b: Uint8Array;
  try {
    b = hexToBytes(value, name);
  } catch {
    throw new VerifyInputError(`${name} is not hex`);
  }
  if (b.length !== 32) throw new VerifyInputError(`${name} must be 32 bytes (64 hex characters)`);
}

/** The gateway attestation of a report body (or of a bare gateway_attestation object). */
export function gatewayOf(report: unknown): GatewayAttestation {
  if (typeof report !== 'object' || report === null) throw new VerifyInputError('report is not a JSON object');
  const r = report as Partial<AttestationReport> & Partial<GatewayAttestation>;
  const g = r.gateway_attestation ?? (typeof r.intel_quote === 'string' ? (r as GatewayAttestation) : undefined);
  if (typeof g !== 'object' || g === null) throw new VerifyInputError('report has no gateway_attestation');
  return g;
}

/** Verify a Cloister attestation report; ok when no check failed and every required check ran. */
export async function verifyReport(report: unknown, options: VerifyOptions = {}): Promise<VerifyResult> {
  hex32(options.nonce, 'nonce');
  hex32(options.composeHash, 'compose hash');
  const policy = options.policy ?? defaultPolicy();
  const require = new Set<CheckId>([...policy.require, ...(options.require ?? [])]);
  for (const id of require) if (!(CHECK_IDS as readonly string[]).includes(id)) throw new VerifyInputError(`"${id}" is not a check id (${CHECK_IDS.join(', ')})`);
  const g = gatewayOf(report);
  const simulatedAccepted = options.allowSimulated === true && g.simulated === true;
  const at = options.at ?? new Date();
  const roots = parseRoots(options.trustedRoots ?? [intelSgxRootCa()]);
  const results = new Map<CheckId, Check>();
  const put = (c: Check): void => void results.set(c.id, c);
  let tcb: { status?: string; advisoryIds?: string[] } = {};

  const parsed = checkQuoteParse(g.intel_quote);
  put(parsed.check);
  const q: TdxQuote | undefined = parsed.quote;
  if (q) {
    put(await checkQuoteSignature(q));
    const chain = await checkPckChain(q, { roots, acceptOwnRoot: simulatedAccepted, at });
    put(chain.check);
    put(await checkQeReport(q, chain.chain?.[0]));
    put(checkTdAttributes(q));
    const tcbOutcome = await checkTcb(q, chain.chain, options.collateral, roots, at, policy.tcb);
    put(tcbOutcome.check);
    tcb = tcbOutcome;
    put(checkBinding(q, g));
    put(checkNonce(q, g, options.nonce));
    const log = checkEventLog(q, g);
    put(log.check);
    put(checkOsMeasurements(q, g, log.replay, policy, simulatedAccepted));
    const compose = checkComposeHash(log.replay, g, options, policy.app.compose_hashes);
    put(compose.check);
    put(checkMrConfigId(q, compose.composeHash, log.replay, g));
  }
  put(checkImagesPinned(g, options.imageDigest, policy.app.image_digests));
  put(checkResponseSignature(g, options));
  if (g.simulated === true) {
    put(options.allowSimulated
      ? pass('simulated', 'SIMULATED attestation (no TDX hardware), accepted because simulated reports are allowed; it proves nothing about the server')
      : fail('simulated', 'report is SIMULATED (no TDX hardware); rejected unless simulated reports are allowed (--allow-simulated)'));
  } else {
    put(pass('simulated', 'report is not simulated'));
  }

  const checks = CHECK_IDS.map((id) => ({ ...(results.get(id) ?? skip(id, 'not run: the quote did not parse', 'quote did not parse')), required: require.has(id) }));
  const result: VerifyResult = { ...verdictOf(checks), checks };
  if (tcb.status !== undefined) result.tcbStatus = tcb.status;
  if (tcb.advisoryIds !== undefined) result.advisoryIds = tcb.advisoryIds;
  return result;
}
