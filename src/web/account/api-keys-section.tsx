// API keys for programs: create (the key is shown once, here), list, revoke.
import { useState } from 'preact/hooks';
import { api } from '../api/http.ts';
import { attempt, useList, when } from './use-list.ts';

interface ApiKey { id: string; name?: string | null; prefix?: string; created_at?: number | string; last_used_at?: number | string | null }

export function ApiKeysSection() {
  const { items, error: listError, reload } = useList<ApiKey>('/v1/users/me/api-keys');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    await attempt(setError, async () => {
      const res = await api<{ key: string }>('/v1/users/me/api-keys', { method: 'POST', body: { name: name.trim() || 'web' } });
      setCreated(res.key);
      setName('');
      await reload();
    });
  };
  const revoke = async (k: ApiKey) => {
    if (!confirm(`Revoke the key ${k.name ?? k.prefix ?? k.id}? Programs using it stop working.`)) return;
    await attempt(setError, async () => { await api(`/v1/users/me/api-keys/${encodeURIComponent(k.id)}`, { method: 'DELETE' }); await reload(); });
  };
  return (
    <section aria-labelledby="keys-h" class="card">
      <h2 id="keys-h">API keys</h2>
      <p class="muted small">For the OpenAI SDKs and other programs: base URL <code>{location.origin}/v1</code>.</p>
      {created && (
        <div class="notice" role="status">
          <p><strong>Copy your new key now.</strong> It will not be shown again.</p>
          <p><code class="secret" data-testid="new-api-key">{created}</code></p>
          <div class="row">
            <button type="button" class="small" onClick={() => navigator.clipboard.writeText(created)}>Copy key</button>
            <button type="button" class="small" onClick={() => setCreated(null)}>Done</button>
          </div>
        </div>
      )}
      <form class="row" onSubmit={create}>
        <label for="key-name">Name</label>
        <input id="key-name" value={name} maxLength={100} placeholder="e.g. laptop script" onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Create key</button>
      </form>
      {(listError || error) && <p role="alert" class="error small">{error ?? listError}</p>}
      <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
          {(items ?? []).map((k) => (
            <tr key={k.id}>
              <td>{k.name ?? '—'}</td><td><code>{k.prefix ? `${k.prefix}…` : '…'}</code></td><td>{when(k.created_at)}</td><td>{when(k.last_used_at)}</td>
              <td><button type="button" class="small danger" onClick={() => revoke(k)} aria-label={`Revoke key ${k.name ?? k.prefix ?? ''}`}>Revoke</button></td>
            </tr>
          ))}
          {items?.length === 0 && <tr><td colSpan={5} class="muted">No keys.</td></tr>}
        </tbody>
      </table>
    </section>
  );
}
