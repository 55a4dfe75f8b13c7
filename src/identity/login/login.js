/* global document, location, navigator, atob, btoa, URLSearchParams */
// Sign-in page logic: passkeys through navigator.credentials, OAuth by plain links.
// The session is an HttpOnly cookie set by the server; this script never sees a token.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const status = (text) => { $('status').textContent = text; };
  const b64uToBytes = (s) => {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  };
  const bytesToB64u = (buf) => {
    let bin = '';
    for (const b of new Uint8Array(buf)) bin += String.fromCharCode(b);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };
  const params = new URLSearchParams(location.search);
  const raw = params.get('return_to') || '/';
  // Only same-origin paths; the server validates return_to again for OAuth.
  const returnTo = raw.startsWith('/') && !raw.startsWith('//') && !raw.includes('\\') ? raw : '/';

  async function api(path, body) {
    const res = await fetch(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    const text = await res.text();
    const data = text ? JSON.parse(text) : undefined;
    if (!res.ok) throw new Error((data && data.error && data.error.message) || res.status + ' ' + res.statusText);
    return data;
  }

  async function refresh() {
    try {
      const me = await api('/v1/users/me');
      status('Signed in as ' + (me.display_name || me.email || me.id) + '.');
      $('signout').hidden = false;
    } catch {
      status('Not signed in.');
      $('signout').hidden = true;
    }
  }

  function done() {
    status('Signed in.');
    if (params.has('return_to')) location.assign(returnTo); else void refresh();
  }

  async function signUp() {
    const o = await api('/v1/auth/passkey/register/options', { display_name: $('display-name').value.trim() || undefined });
    const cred = await navigator.credentials.create({ publicKey: {
      ...o,
      challenge: b64uToBytes(o.challenge),
      user: { ...o.user, id: b64uToBytes(o.user.id) },
      excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: b64uToBytes(c.id) })),
    } });
    const r = cred.response;
    await api('/v1/auth/passkey/register/verify', { response: {
      id: cred.id, rawId: bytesToB64u(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: bytesToB64u(r.clientDataJSON), attestationObject: bytesToB64u(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : undefined,
      },
    } });
    done();
  }

  async function signIn() {
    const o = await api('/v1/auth/passkey/login/options', {});
    const cred = await navigator.credentials.get({ publicKey: {
      ...o,
      challenge: b64uToBytes(o.challenge),
      allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: b64uToBytes(c.id) })),
    } });
    const r = cred.response;
    await api('/v1/auth/passkey/login/verify', { response: {
      id: cred.id, rawId: bytesToB64u(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: bytesToB64u(r.clientDataJSON), authenticatorData: bytesToB64u(r.authenticatorData),
        signature: bytesToB64u(r.signature), userHandle: r.userHandle ? bytesToB64u(r.userHandle) : undefined,
      },
    } });
    done();
  }

  const ERRORS = {
    invalid_request: 'That sign-in attempt failed or expired. Please try again.',
    forbidden: 'The provider account has no verified email address, or this account is disabled.',
    identity_provider_error: 'The sign-in provider could not be reached. Please try again.',
    rate_limit_exceeded: 'Too many sign-in attempts from this address. Wait a minute and try again.',
  };
  const guard = (fn) => () => fn().catch((e) => status('Failed: ' + (e && e.message ? e.message : String(e))));
  document.addEventListener('DOMContentLoaded', () => {
    $('passkey-signup').addEventListener('click', guard(signUp));
    $('passkey-signin').addEventListener('click', guard(signIn));
    $('signout').addEventListener('click', guard(async () => { await api('/v1/auth/logout', {}); await refresh(); }));
    const error = params.get('error');
    if (error) {
      $('error').textContent = ERRORS[error] || 'Sign-in failed. Please try again.';
      $('error').hidden = false;
    }
    for (const p of ['google', 'github']) $(p).href = '/v1/auth/' + p + '?return_to=' + encodeURIComponent(returnTo);
    api('/v1/auth/providers').then((p) => { $('google').hidden = !p.google; $('github').hidden = !p.github; }).catch(() => {});
    void refresh();
  });
})();
