// Settings kept by Cloister sealed (encrypted with its own key; nobody else can read them): the
// default model, picked from the models this server allows, and custom instructions sent with
// every message while switched on.
import { useEffect, useState } from 'preact/hooks';
import { listModels, type Model } from '../api/chat-api.ts';
import { describeError } from '../api/explain-error.ts';
import { fetchSettings, INSTRUCTIONS_MAX, saveSettings, type AccountSettings } from '../api/settings-api.ts';
import { attempt } from './use-list.ts';

export function SettingsSection() {
  const [settings, setSettings] = useState<AccountSettings | null>(null);
  const [models, setModels] = useState<Model[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    fetchSettings().then(setSettings, (e) => { setError(describeError(e)); setSettings({}); });
    listModels().then(setModels, (e) => setError(describeError(e)));
  }, []);
  if (!settings) return null;
  const chosen = typeof settings.default_model === 'string' ? settings.default_model : '';
  const gone = !!chosen && models.length > 0 && !models.some((m) => m.id === chosen);
  const change = (patch: Partial<AccountSettings>) => { setSettings({ ...settings, ...patch }); setSaved(false); };
  const save = async (e: Event) => {
    e.preventDefault();
    setSaved(false);
    const next: AccountSettings = { ...settings, instructions: settings.instructions ?? '', instructions_enabled: settings.instructions_enabled === true };
    // a default the server no longer allows would be refused: the server's default applies
    if (!next.default_model || gone) delete next.default_model;
    if (await attempt(setError, () => saveSettings(next))) setSaved(true);
  };
  const instructions = typeof settings.instructions === 'string' ? settings.instructions : '';
  return (
    <section aria-labelledby="settings-h" class="card">
      <h2 id="settings-h">Chat settings</h2>
      <p class="muted small">Cloister stores these encrypted (sealed) and shows them to no one but you.</p>
      <form class="settings-form" onSubmit={save}>
        <div class="field">
          <label for="default-model">Default model</label>
          <select id="default-model" value={gone ? '' : chosen} onChange={(e) => change({ default_model: e.currentTarget.value || undefined })}>
            <option value="">The server's default{models[0] ? ` (${models[0].id})` : ''}</option>
            {models.map((m) => <option key={m.id} value={m.id}>{m.id}</option>)}
          </select>
          {gone && <p class="note small">Your previous default, {chosen}, is no longer offered here; the server's default is used.</p>}
        </div>
        <div class="field">
          <div class="switch-row">
            <label for="instructions">Custom instructions</label>
            <label class="switch">
              <input type="checkbox" role="switch" id="instructions-enabled" checked={settings.instructions_enabled === true}
                onChange={(e) => change({ instructions_enabled: e.currentTarget.checked })} />
              <span>{settings.instructions_enabled ? 'On' : 'Off'}</span>
              <span class="visually-hidden"> — send custom instructions with every message</span>
            </label>
          </div>
          <textarea id="instructions" rows={6} maxLength={INSTRUCTIONS_MAX} value={instructions}
            placeholder="For example: Answer briefly. I write Python and use metric units."
            onInput={(e) => change({ instructions: e.currentTarget.value })} />
          <p class="muted small">Sent to the model with every message while switched on. {instructions.length} / {INSTRUCTIONS_MAX} characters.</p>
        </div>
        <div class="row">
          <button type="submit" class="primary">Save settings</button>
          {saved && <span class="ok small" role="status">Saved</span>}
        </div>
      </form>
      {error && <p role="alert" class="error small">{error}</p>}
    </section>
  );
}
