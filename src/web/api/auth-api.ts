// Sign-in, sign-out and passkeys against /v1/auth/* (the cookie is set by the server; the app
// never handles a token). Every route this app uses is listed here, in one place.
import { api, ApiError } from './http.ts';
import { createPasskey, getPasskey } from '../lib/webauthn.ts';

export interface Providers { google: boolean; github: boolean; passkey: boolean; password: boolean }

/** Which sign-in methods this server has enabled (all shown when the server does not say). */
export async function fetchProviders(): Promise<Providers> {
  try {
    const p = await api<Partial<Providers>>('/v1/auth/providers');
    return { google: !!p.google, github: !!p.github, passkey: p.passkey !== false, password: !!p.password };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return { google: true, github: true, passkey: true, password: false };
    throw e;
  }
}

/** Full-page redirect to the provider; the server brings the browser back to `returnTo`. */
export function oauthUrl(provider: 'google' | 'github', returnTo = '/'): string {
  return `/v1/auth/${provider}?return_to=${encodeURIComponent(returnTo)}`;
}

/** Creates an account with a new passkey (passkey-first sign-up) and signs in. */
export async function signUpWithPasskey(displayName: string): Promise<void> {
  const options = await api<Record<string, unknown>>('/v1/auth/passkey/register/options', { method: 'POST', body: { display_name: displayName || undefined } });
  const response = await createPasskey(options);
  await api('/v1/auth/passkey/register/verify', { method: 'POST', body: { response } });
}

/** Usernameless sign-in with a discoverable passkey. */
export async function signInWithPasskey(): Promise<void> {
  const options = await api<Record<string, unknown>>('/v1/auth/passkey/login/options', { method: 'POST', body: {} });
  const response = await getPasskey(options);
  await api('/v1/auth/passkey/login/verify', { method: 'POST', body: { response } });
}

/** Signs in with a password; with `create`, asks for the account first (the server answers the same whether or not it existed). */
export async function signInWithPassword(email: string, password: string, create: boolean): Promise<void> {
  if (create) await api('/v1/auth/password/signup', { method: 'POST', body: { email, password } });
  await api('/v1/auth/password/login', { method: 'POST', body: { email, password } });
}

export async function signOut(): Promise<void> {
  try { await api('/v1/auth/logout', { method: 'POST', body: {} }); } catch { /* already signed out */ }
}

/** Adds a passkey to the signed-in account. */
export async function addPasskey(): Promise<void> {
  const options = await api<Record<string, unknown>>('/v1/users/me/passkeys/options', { method: 'POST', body: {} });
  const response = await createPasskey(options);
  await api('/v1/users/me/passkeys', { method: 'POST', body: { response } });
}
