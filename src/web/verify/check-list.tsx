// A list of verifier checks: result, the verifier's detail, and what it means in plain words.
import type { Check } from './verifier.ts';
import { explainCheck } from './explanations.ts';

const MARK = { pass: '✓', fail: '✗', skip: '–' } as const;
const WORD = { pass: 'Passed', fail: 'Failed', skip: 'Skipped' } as const;

export function CheckList({ checks }: { checks: readonly Check[] }) {
  return (
    <ul class="checks">
      {checks.map((c) => (
        <li key={c.id} class={`check ${c.status}`} data-check-id={c.id} data-status={c.status}>
          <span class="mark" aria-hidden="true">{MARK[c.status]}</span>
          <div>
            <p><strong>{WORD[c.status]}</strong> <code>{c.id}</code> — {c.detail}</p>
            {explainCheck(c.id) && <p class="muted small">{explainCheck(c.id)}</p>}
          </div>
        </li>
      ))}
    </ul>
  );
}
