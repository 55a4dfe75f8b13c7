// Sign in or create an account: Google, GitHub, passkey, and password when the server enables it.
import { useEffect, useState } from 'preact/hooks';
import { fetchProviders, oauthUrl, signInWithPasskey, signInWithPassword, signUpWithPasskey, type Providers } from '../api/auth-api.ts';
import { describeError } from '../api/explain-error.ts';
import { ApiError } from '../api/http.ts';
import { passkeysSupported } from '../lib/webauthn.ts';
import { onLinkClick } from '../lib/router.ts';

export function SignInPage({ onSignedIn }: { onSignedIn(): void }) {
  const [providers, setProviders] = useState<Providers | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [name, setName] = useState('');

  useEffect(() => {
    fetchProviders().then(setProviders, (e) => { setError(describeError(e)); setProviders({ google: true, github: true, passkey: true, password: false }); });
  }, []);

  const run = (fn: () => Promise<void>) => async () => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      onSignedIn();
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'That email and password do not match an account here.' : describeError(e));
    } finally {
      setBusy(false);
    }
  };
  const returnTo = location.pathname + location.search;
  // WebAuthn refuses IP addresses as relying-party ids: passkeys need a host name.
  const ipHost = /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\])$/i.test(location.hostname);
  const localhostUrl = ['127.0.0.1', '[::1]'].includes(location.hostname) ? `${location.protocol}//localhost${location.port ? `:${location.port}` : ''}${returnTo}` : null;

  return (
    <main class="signin">
      <h1>Cloister</h1>
      <p class="lede">Private chat with models you can verify.</p>
      <p class="muted small">
        This server keeps ids, who owns what, usage counters and a sealed copy of your titles and settings that it cannot
        show anyone else — never what you write or what the model answers. The model provider keeps your conversations so
        you can return to them, and deletes them when you delete them.
      </p>
      {error && <p role="alert" class="error">{error}</p>}
      {providers && (
        <div class="signin-methods">
          {(providers.google || providers.github) && (
            <section aria-labelledby="oauth-h">
              <h2 id="oauth-h">Sign in with</h2>
              {providers.google && <a class="button wide" href={oauthUrl('google', returnTo)}>Continue with Google</a>}
              {providers.github && <a class="button wide" href={oauthUrl('github', returnTo)}>Continue with GitHub</a>}
            </section>
          )}
          {providers.passkey && (
            <section aria-labelledby="passkey-h">
              <h2 id="passkey-h">Passkey</h2>
              {!passkeysSupported() && <p class="muted">This browser does not support passkeys.</p>}
              {ipHost && (
                <p class="note" role="note">
                  Passkeys need a host name, not an IP address.
                  {localhostUrl ? <> Open <a href={localhostUrl}>{localhostUrl.replace(/\/$/, '')}</a> instead.</> : ' Use this server\'s domain name.'}
                </p>
              )}
              <button type="button" class="wide primary" disabled={busy || !passkeysSupported() || ipHost} onClick={run(signInWithPasskey)}>Sign in with a passkey</button>
              <form class="stack" onSubmit={(e) => { e.preventDefault(); void run(() => signUpWithPasskey(name.trim()))(); }}>
                <label for="signup-name">New here? Your name (optional)</label>
                <input id="signup-name" autocomplete="name" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={100} />
                <button type="submit" class="wide" disabled={busy || !passkeysSupported() || ipHost}>Create an account with a passkey</button>
              </form>
            </section>
          )}
          {providers.password && <PasswordForm busy={busy} run={run} />}
        </div>
      )}
      <p class="muted small">Want to check this server first? <a href="/verify" onClick={onLinkClick}>Verify the deployment</a>.</p>
    </main>
  );
}

function PasswordForm({ busy, run }: { busy: boolean; run(fn: () => Promise<void>): () => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [create, setCreate] = useState(false);
  return (
    <section aria-labelledby="password-h">
      <h2 id="password-h">Email and password</h2>
      <form class="stack" onSubmit={(e) => { e.preventDefault(); void run(() => signInWithPassword(email, password, create))(); }}>
        <label for="pw-email">Email</label>
        <input id="pw-email" type="email" autocomplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="pw-password">Password{create ? ' (at least 12 characters)' : ''}</label>
        <input id="pw-password" type="password" autocomplete={create ? 'new-password' : 'current-password'} required minLength={create ? 12 : undefined} value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <label class="check"><input type="checkbox" checked={create} onChange={(e) => setCreate(e.currentTarget.checked)} /> Create a new account</label>
        <button type="submit" class="wide" disabled={busy}>{create ? 'Create account' : 'Sign in'}</button>
      </form>
    </section>
  );
}
