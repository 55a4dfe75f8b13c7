// The account's settings (sealed by Cloister; only this account can read them back).
import { api } from './http.ts';

export interface AccountSettings {
  /** one of the allowed models; the chat starts with it */
  default_model?: string;
  /** custom instructions, sent as the Responses `instructions` when enabled */
  instructions?: string;
  instructions_enabled?: boolean;
  [key: string]: unknown;
}

/** Longest custom instructions the server accepts. */
export const INSTRUCTIONS_MAX = 8000;

export async function fetchSettings(): Promise<AccountSettings> {
  const s = await api<AccountSettings | { settings: AccountSettings } | null>('/v1/users/me/settings');
  if (!s || typeof s !== 'object') return {};
  return ('settings' in s && s.settings && typeof s.settings === 'object' ? s.settings : s) as AccountSettings;
}

/** Saves the whole settings object (the server replaces it). */
export function saveSettings(settings: AccountSettings): Promise<unknown> {
  return api('/v1/users/me/settings', { method: 'PUT', body: settings });
}

/** The instructions to send with a reply, or undefined when off or empty. */
export function activeInstructions(s: AccountSettings | null): string | undefined {
  const text = typeof s?.instructions === 'string' ? s.instructions : '';
  return s?.instructions_enabled === true && text.trim() ? text : undefined;
}
