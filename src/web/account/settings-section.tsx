// Settings: preferences kept server-side (encrypted at rest by Cloister), e.g. the default model.
import { useEffect, useState } from 'preact/hooks';
import { api, describeError } from '../api/http.ts';
import { attempt } from './use-list.ts';

interface Settings { default_model?: string; [k: string]: unknown }

export function SettingsSection() {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    api<Settings | { settings: Settings }>('/v1/users/me/settings').then(
      (s) => setSettings(('settings' in s && typeof s.settings === 'object' ? s.settings : s) as Settings ?? {}),
      (e) => { setError(describeError(e)); setSettings({}); },
    );
  }, []);
  if (!settings) return null;
  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    if (await attempt(setError, () => api('/v1/users/me/settings', { method: 'PUT', body: settings }))) setSaved(true);
  };
  return (
    <section aria-labelledby="settings-h" class="card">
      <h2 id="settings-h">Settings</h2>
      <form class="row" onSubmit={save}>
        <label for="default-model">Default model</label>
        <input id="default-model" value={settings.default_model ?? ''} onInput={(e) => setSettings({ ...settings, default_model: e.currentTarget.value })} />
        <button type="submit">Save</button>
        {saved && <span class="ok small" role="status">Saved</span>}
      </form>
      {error && <p role="alert" class="error small">{error}</p>}
    </section>
  );
}
