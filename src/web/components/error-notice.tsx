// An error in plain words, with a live countdown when waiting helps (rate limits) and the local
// reset time of an exhausted budget.
import { useEffect, useState } from 'preact/hooks';
import { formatWait, type Explained } from '../api/explain-error.ts';

function localTime(ms: number, now: number): string {
  const d = new Date(ms);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
}

export function ErrorNotice({ error, small = true }: { error: Explained; small?: boolean }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (error.retryAt === undefined) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [error.retryAt]);
  const left = error.retryAt !== undefined ? error.retryAt - now : 0;
  return (
    <p role="alert" class={small ? 'error small' : 'error'}>
      {error.text}
      {error.resetsAt !== undefined && ` It resets at ${localTime(error.resetsAt, now)}.`}
      {error.retryAt !== undefined && (left > 0
        ? <> You can try again in <span class="countdown" data-testid="countdown">{formatWait(left)}</span>.</>
        : ' You can try again now.')}
    </p>
  );
}
