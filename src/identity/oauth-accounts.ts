// Which account an external identity signs into. The rule (docs/sign-in.md):
// 1. a known (provider, subject) signs into its account;
// 2. otherwise, when the browser is signed in, the identity is linked to that account;
// 3. otherwise, when an account has the same email and that email is verified on both sides,
//    the identity is linked to it;
// 4. otherwise a new account is created. Unverified provider emails never get this far.
import { randomUUID } from 'node:crypto';
import type { Pool } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { findUserByEmail, insertUser, setVerifiedEmailIfMissing } from './user-queries.ts';
import { findIdentityUser, insertIdentity } from './identity-queries.ts';

export interface ExternalIdentity {
  readonly provider: 'google' | 'github';
  readonly subject: string;
  /** verified by the provider */
  readonly email: string;
  readonly displayName: string | null;
}

/** Returns the user id the identity signs into, creating or linking as the rule says. */
export async function resolveIdentity(db: Pool, clock: Clock, identity: ExternalIdentity, signedInUserId: string | null): Promise<string> {
  const known = await findIdentityUser(db, identity.provider, identity.subject);
  if (known) return known;
  const now = clock.now();
  return withTransaction(db, async (tx) => {
    let userId = signedInUserId;
    const byEmail = await findUserByEmail(tx, identity.email);
    if (!userId && byEmail?.email_verified) userId = byEmail.id;
    if (!userId) {
      userId = randomUUID();
      // An unverified account holding the address keeps it; the new account has no email.
      const email = byEmail ? null : identity.email;
      await insertUser(tx, { id: userId, email, emailVerified: email !== null, displayName: identity.displayName, isAdmin: false, now });
    } else {
      await setVerifiedEmailIfMissing(tx, userId, identity.email);
    }
    await insertIdentity(tx, identity.provider, identity.subject, userId, now);
    return userId;
  });
}
