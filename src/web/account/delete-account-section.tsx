// Account deletion, behind typing the word "delete": sessions, keys, passkeys and the
// conversations upstream go with it.
import { useState } from 'preact/hooks';
import { api } from '../api/http.ts';
import { attempt } from './use-list.ts';

export function DeleteAccountSection({ onDeleted }: { onDeleted(): void }) {
  const [confirmText, setConfirmText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [failed, setFailed] = useState<string[] | null>(null);
  const del = async (e: Event) => {
    e.preventDefault();
    await attempt(setError, async () => {
      const res = await api<{ failed_objects?: string[] } | undefined>('/v1/users/me', { method: 'DELETE' });
      if (res?.failed_objects?.length) setFailed(res.failed_objects);
      else onDeleted();
    });
  };
  return (
    <section aria-labelledby="delete-h" class="card danger-zone">
      <h2 id="delete-h">Delete account</h2>
      <p>This signs you out everywhere, revokes your API keys and passkeys, and deletes your conversations and stored replies at the model provider. It cannot be undone.</p>
      <form class="row" onSubmit={del}>
        <label for="delete-confirm">Type <strong>delete</strong> to confirm</label>
        <input id="delete-confirm" autocomplete="off" value={confirmText} onInput={(e) => setConfirmText(e.currentTarget.value)} />
        <button type="submit" class="danger" disabled={confirmText.trim().toLowerCase() !== 'delete'}>Delete my account</button>
      </form>
      {error && <p role="alert" class="error small">{error}</p>}
      {failed && <p role="alert" class="error small">Your account is deleted, but these could not be deleted at the provider: {failed.join(', ')}</p>}
    </section>
  );
}
