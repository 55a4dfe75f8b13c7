// Where this account is signed in; any session can be signed out from here.
import { useState } from 'preact/hooks';
import { api } from '../api/http.ts';
import { attempt, useList, when } from './use-list.ts';

interface Session { id: string; created_at?: number | string; last_seen_at?: number | string; last_used_at?: number | string; user_agent?: string | null; current?: boolean }

export function SessionsSection({ onSignedOut }: { onSignedOut(): void }) {
  const { items, error: listError, reload } = useList<Session>('/v1/users/me/sessions');
  const [error, setError] = useState<string | null>(null);
  const revoke = async (s: Session) => {
    await attempt(setError, async () => {
      await api(`/v1/users/me/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' });
      if (s.current) onSignedOut(); else await reload();
    });
  };
  return (
    <section aria-labelledby="sessions-h" class="card">
      <h2 id="sessions-h">Sessions</h2>
      {(listError || error) && <p role="alert" class="error small">{error ?? listError}</p>}
      <ul class="plain-list">
        {(items ?? []).map((s) => (
          <li key={s.id}>
            <span>{s.user_agent ?? 'Browser'}{s.current ? ' (this browser)' : ''}</span>
            <span class="muted small">signed in {when(s.created_at)}, last active {when(s.last_seen_at ?? s.last_used_at)}</span>
            <span class="actions"><button type="button" class="small danger" onClick={() => revoke(s)}>{s.current ? 'Sign out' : 'Revoke'}</button></span>
          </li>
        ))}
      </ul>
    </section>
  );
}
