// Passkeys on this account: add, rename, remove.
import { useState } from 'preact/hooks';
import { api } from '../api/http.ts';
import { addPasskey } from '../api/auth-api.ts';
import { attempt, useList, when } from './use-list.ts';

interface Passkey { id: string; name?: string | null; created_at?: number | string; last_used_at?: number | string | null; backed_up?: boolean }

export function PasskeysSection() {
  const { items, error: listError, reload } = useList<Passkey>('/v1/users/me/passkeys');
  const [error, setError] = useState<string | null>(null);
  const path = (p: Passkey) => `/v1/users/me/passkeys/${encodeURIComponent(p.id)}`;
  const rename = async (p: Passkey) => {
    const name = prompt('Name for this passkey', p.name ?? '');
    if (name === null) return;
    await attempt(setError, async () => { await api(path(p), { method: 'PATCH', body: { name: name.trim() } }); await reload(); });
  };
  const remove = async (p: Passkey) => {
    if (!confirm(`Remove the passkey ${p.name ?? ''}? You can no longer sign in with it.`)) return;
    await attempt(setError, async () => { await api(path(p), { method: 'DELETE' }); await reload(); });
  };
  return (
    <section aria-labelledby="passkeys-h" class="card">
      <h2 id="passkeys-h">Passkeys</h2>
      <button type="button" onClick={() => attempt(setError, async () => { await addPasskey(); await reload(); })}>Add a passkey</button>
      {(listError || error) && <p role="alert" class="error small">{error ?? listError}</p>}
      <ul class="plain-list">
        {(items ?? []).map((p) => (
          <li key={p.id}>
            <span>{p.name || 'Passkey'}</span>
            <span class="muted small">added {when(p.created_at)}, last used {when(p.last_used_at)}{p.backed_up ? ', synced' : ''}</span>
            <span class="actions">
              <button type="button" class="small" onClick={() => rename(p)}>Rename</button>
              <button type="button" class="small danger" onClick={() => remove(p)}>Remove</button>
            </span>
          </li>
        ))}
        {items?.length === 0 && <li class="muted">No passkeys.</li>}
      </ul>
    </section>
  );
}
