// App shell: finds out who is signed in, then shows sign-in or the signed-in screens.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { fetchMe, type Me } from './api/session.ts';
import { describeError } from './api/explain-error.ts';
import { navigate, onLinkClick, usePath } from './lib/router.ts';
import { SignInPage } from './pages/sign-in-page.tsx';
import { ChatPage } from './pages/chat-page.tsx';
import { AccountPage } from './pages/account-page.tsx';
import { VerifyPage } from './pages/verify-page.tsx';
import { signOut } from './api/auth-api.ts';

export function App() {
  const path = usePath();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setMe(await fetchMe());
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, []);
  useEffect(() => { void refresh(); }, [refresh]);

  if (error) return <main class="center"><p role="alert" class="error">{error}</p><button onClick={refresh}>Try again</button></main>;
  if (me === undefined) return <main class="center" aria-busy="true"><p>Loading…</p></main>;

  // The verify page is public: anyone can check the deployment before signing in.
  if (path === '/verify') return <Shell me={me} onSignedOut={refresh}><VerifyPage /></Shell>;
  if (!me) return <SignInPage onSignedIn={refresh} />;

  let page;
  if (path === '/account') page = <AccountPage me={me} onChanged={refresh} />;
  else {
    const m = /^\/c\/([A-Za-z0-9_-]{1,128})$/.exec(path);
    page = <ChatPage conversationId={m ? m[1]! : null} />;
  }
  return <Shell me={me} onSignedOut={refresh}>{page}</Shell>;
}

function Shell({ me, onSignedOut, children }: { me: Me | null; onSignedOut(): void; children: preact.ComponentChildren }) {
  const path = usePath();
  const out = async () => {
    await signOut();
    navigate('/', true);
    onSignedOut();
  };
  const link = (href: string, label: string, current: boolean) => (
    <a href={href} onClick={onLinkClick} aria-current={current ? 'page' : undefined}>{label}</a>
  );
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/" onClick={onLinkClick}>Cloister</a>
        <nav aria-label="Main">
          {me && link('/', 'Chat', path === '/' || path.startsWith('/c/'))}
          {link('/verify', 'Verify', path === '/verify')}
          {me && link('/account', 'Account', path === '/account')}
          {me
            ? <button type="button" class="link" onClick={out}>Sign out</button>
            : <a href="/" onClick={onLinkClick}>Sign in</a>}
        </nav>
      </header>
      {children}
    </div>
  );
}
