// Profile: name (editable) and the verified email the account is known by.
import { useState } from 'preact/hooks';
import { api } from '../api/http.ts';
import type { Me } from '../api/session.ts';
import { attempt, when } from './use-list.ts';

export function ProfileSection({ me, onChanged }: { me: Me; onChanged(): void }) {
  const [name, setName] = useState(me.display_name ?? '');
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    if (await attempt(setError, () => api('/v1/users/me', { method: 'PATCH', body: { display_name: name.trim() || null } }))) {
      setSaved(true);
      onChanged();
    }
  };
  return (
    <section aria-labelledby="profile-h" class="card">
      <h2 id="profile-h">Profile</h2>
      <dl class="facts">
        <dt>Email</dt><dd>{me.email ?? '—'}{me.email && me.email_verified === false ? ' (not verified)' : ''}</dd>
        <dt>Member since</dt><dd>{when(me.created_at)}</dd>
      </dl>
      <form class="row" onSubmit={save}>
        <label for="display-name">Display name</label>
        <input id="display-name" value={name} maxLength={100} onInput={(e) => setName(e.currentTarget.value)} />
        <button type="submit">Save</button>
        {saved && <span class="ok small" role="status">Saved</span>}
      </form>
      {error && <p role="alert" class="error small">{error}</p>}
    </section>
  );
}
