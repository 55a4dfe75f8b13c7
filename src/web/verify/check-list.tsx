// A list of verifier checks: the result, what it means in plain words, why a skipped check was
// skipped, and the verifier's own detail (without command-line options).
import type { Check } from './verifier.ts';
import { explainCheck, plainDetail, whySkipped } from './explanations.ts';

const MARK = { pass: '✓', fail: '✗', skip: '–' } as const;
const WORD = { pass: 'Passed', fail: 'Failed', skip: 'Skipped' } as const;

export function CheckList({ checks }: { checks: readonly Check[] }) {
  return (
    <ul class="checks">
      {checks.map((c) => (
        <li key={c.id} class={`check ${c.status}`} data-check-id={c.id} data-status={c.status}>
          <span class="mark" aria-hidden="true">{MARK[c.status]}</span>
          <div>
            <p><strong>{WORD[c.status]}</strong> — {explainCheck(c.id) || c.id}</p>
            {c.status === 'skip' && <p class="small why-skipped">{whySkipped(c.id)}</p>}
            <p class="muted small"><code>{c.id}</code>: {plainDetail(c.detail)}</p>
          </div>
        </li>
      ))}
    </ul>
  );
}
