// What the chat needs before the first message: the allowed models (the server's default
// first), the account's settings (its default model and custom instructions) and the server's
// attachment limits. The starting model is the account's default when the server still allows
// it, else the server's default.
import { useEffect, useState } from 'preact/hooks';
import { listModels, type Model } from '../api/chat-api.ts';
import { fetchSettings, type AccountSettings } from '../api/settings-api.ts';
import { DEFAULT_CONFIG, fetchConfig, type ServerConfig } from '../api/config-api.ts';
import { describeError } from '../api/explain-error.ts';

export interface ChatSetup {
  models: Model[];
  model: string;
  setModel(id: string): void;
  settings: AccountSettings | null;
  config: ServerConfig;
  error: string | null;
}

/** The model to start with: the account's default if allowed, else the first (the server's default). */
export function startingModel(models: readonly Model[], settings: AccountSettings | null): string {
  const wanted = typeof settings?.default_model === 'string' ? settings.default_model : '';
  return models.some((m) => m.id === wanted) ? wanted : models[0]?.id ?? '';
}

export function useChatSetup(): ChatSetup {
  const [models, setModels] = useState<Model[]>([]);
  const [model, setModel] = useState('');
  const [settings, setSettings] = useState<AccountSettings | null>(null);
  const [config, setConfig] = useState<ServerConfig>(DEFAULT_CONFIG);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    // settings are optional for chatting: without them the server's default is used
    const s = fetchSettings().catch(() => ({}) as AccountSettings);
    Promise.all([listModels(), s]).then(([ms, st]) => {
      if (!live) return;
      setModels(ms);
      setSettings(st);
      setModel(startingModel(ms, st));
    }, (e) => { if (live) setError(describeError(e)); });
    fetchConfig().then((c) => { if (live) setConfig(c); }, () => { /* the documented defaults stand */ });
    return () => { live = false; };
  }, []);
  return { models, model, setModel, settings, config, error };
}
