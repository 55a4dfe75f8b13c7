// Account: profile, settings, API keys, passkeys, sessions, deletion.
import type { Me } from '../api/session.ts';
import { navigate } from '../lib/router.ts';
import { ProfileSection } from '../account/profile-section.tsx';
import { SettingsSection } from '../account/settings-section.tsx';
import { ApiKeysSection } from '../account/api-keys-section.tsx';
import { PasskeysSection } from '../account/passkeys-section.tsx';
import { SessionsSection } from '../account/sessions-section.tsx';
import { DeleteAccountSection } from '../account/delete-account-section.tsx';

export function AccountPage({ me, onChanged }: { me: Me; onChanged(): void }) {
  const signedOut = () => { navigate('/', true); onChanged(); };
  return (
    <main class="page account">
      <h1>Account</h1>
      <ProfileSection me={me} onChanged={onChanged} />
      <SettingsSection />
      <ApiKeysSection />
      <PasskeysSection />
      <SessionsSection onSignedOut={signedOut} />
      <DeleteAccountSection onDeleted={signedOut} />
    </main>
  );
}
