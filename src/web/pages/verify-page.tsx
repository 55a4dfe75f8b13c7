// Verify this deployment in the browser: a nonce made here, a fresh report, the auditor's
// verifier library run locally. The verdict comes first in one line; the checks and facts are
// folded underneath for those who want them.
import { useEffect, useState } from 'preact/hooks';
import { attest, type AttestationResult } from '../verify/attestation.ts';
import { CheckList } from '../verify/check-list.tsx';
import { verdictLine } from '../verify/verdict-line.ts';
import { describeError } from '../api/explain-error.ts';

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

  // the verdict is what people came for: check at once, without a click
  useEffect(() => { void run(); }, []);

  const g = result?.report.gateway_attestation;
  const checks = result?.verdict.checks ?? [];
  const verdict = g ? verdictLine(checks, g.simulated) : null;
  const count = (s: string) => checks.filter((c) => c.status === s).length;
  return (
    <main class="page verify">
      <h1>Verify this server</h1>
      {!result && !error && <p class="verdict pending" aria-busy="true">Checking this server…</p>}
      {verdict && g && (
        <section aria-labelledby="result-h" class={`verdict-box ${verdict.kind}`}>
          <h2 id="result-h" class={`verdict ${verdict.kind}`} data-verdict={verdict.kind === 'failed' ? 'fail' : 'pass'} data-kind={verdict.kind}>{verdict.text}</h2>
          {g.simulated && (
            <div class="simulated-banner" role="alert" data-testid="simulated-banner">
              <strong>SIMULATED ATTESTATION</strong> — the checks below exercise the real verification code, but a simulated
              report proves nothing about confidentiality. Do not send anything private to this server.
            </div>
          )}
          <details class="verify-details">
            <summary>How this was checked: {count('pass')} passed, {count('fail')} failed, {count('skip')} skipped</summary>
            <CheckList checks={checks} />
            <dl class="facts">
              <dt>Your random number (nonce)</dt><dd><code>{result!.nonce}</code></dd>
              <dt>Reply signing key ({g.signing_algo})</dt><dd><code>{g.signing_address}</code></dd>
              {g.info?.compose_hash && <><dt>App configuration hash</dt><dd><code>{g.info.compose_hash}</code></dd></>}
              {g.build && <><dt>Build</dt><dd>{g.build.version ?? '?'} · commit <code>{g.build.git_commit ?? 'unknown'}</code></dd></>}
              <dt>Checked</dt><dd>{result!.checkedAt.toLocaleString()}</dd>
            </dl>
            {result!.report.upstream_error && <p class="note">The model provider's own attestation could not be fetched, so only this server was checked.</p>}
          </details>
        </section>
      )}
      <p>
        Your browser makes a random number, asks the server for a hardware attestation that includes it, and checks the
        answer here with the same verifier that auditors run. Nothing is taken on trust from the server's own claims.
      </p>
      <button type="button" class="primary" onClick={run} disabled={busy}>{busy ? 'Verifying…' : result ? 'Verify again' : 'Verify now'}</button>
      {error && <p role="alert" class="error">{error}</p>}
      <p class="muted small">
        What this server keeps: account ids, which conversation belongs to whom, usage counters, and a sealed copy of your
        conversation titles and settings that it cannot show anyone else. It never keeps what you write or what the model
        answers. The model provider keeps your conversations so you can return to them, and deletes them when you delete them.
      </p>
    </main>
  );
}
