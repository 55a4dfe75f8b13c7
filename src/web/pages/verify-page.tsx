// Verify this deployment in the browser: a nonce made here, a fresh report, the auditor's
// verifier library run locally, each check explained. Simulated reports are impossible to miss.
import { useState } from 'preact/hooks';
import { attest, type AttestationResult } from '../verify/attestation.ts';
import { CheckList } from '../verify/check-list.tsx';
import { describeError } from '../api/http.ts';

export function VerifyPage() {
  const [result, setResult] = useState<AttestationResult | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      setResult(await attest());
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  const g = result?.report.gateway_attestation;
  const failed = result?.verdict.checks.filter((c) => c.status === 'fail' && c.id !== 'simulated') ?? [];
  return (
    <main class="page verify">
      <h1>Verify this server</h1>
      <p>
        Your browser makes a random number, asks the server for a hardware attestation that includes it,
        and checks the answer here with the same verifier auditors run (<code>cloister verify</code>).
        Nothing is taken on trust from the server's own claims.
      </p>
      <button type="button" class="primary" onClick={run} disabled={busy}>{busy ? 'Verifying…' : result ? 'Verify again' : 'Verify now'}</button>
      {error && <p role="alert" class="error">{error}</p>}
      {result && g && (
        <section aria-labelledby="result-h">
          {g.simulated && (
            <div class="simulated-banner" role="alert" data-testid="simulated-banner">
              <strong>SIMULATED ATTESTATION</strong> — this server is not running on confidential hardware.
              The checks below exercise the real verification code, but prove nothing about confidentiality.
            </div>
          )}
          <h2 id="result-h" class={failed.length === 0 ? 'verdict pass' : 'verdict fail'} data-verdict={failed.length === 0 ? 'pass' : 'fail'}>
            {failed.length === 0 ? (g.simulated ? 'All checks passed (simulated)' : 'All checks passed') : `${failed.length} check${failed.length > 1 ? 's' : ''} failed`}
          </h2>
          <CheckList checks={result.verdict.checks} />
          <dl class="facts">
            <dt>Your nonce</dt><dd><code>{result.nonce}</code></dd>
            <dt>Signing address ({g.signing_algo})</dt><dd><code>{g.signing_address}</code></dd>
            {g.info?.compose_hash && <><dt>App compose hash</dt><dd><code>{g.info.compose_hash}</code></dd></>}
            {g.build && <><dt>Build</dt><dd>{g.build.version ?? '?'} · commit <code>{g.build.git_commit ?? 'unknown'}</code></dd></>}
            <dt>Checked</dt><dd>{result.checkedAt.toLocaleString()}</dd>
          </dl>
          {result.report.upstream_error && <p class="note">The model provider's own attestation could not be fetched: {result.report.upstream_error}</p>}
        </section>
      )}
    </main>
  );
}
