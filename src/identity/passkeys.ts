// Passkeys with @simplewebauthn/server: passkey-first sign-up, usernameless sign-in with
// discoverable credentials, and adding passkeys to a signed-in account. Challenges live
// server-side, are deleted on first use and expire after five minutes. User verification
// is required in the options and in verification.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  generateRegistrationOptions, verifyRegistrationResponse, generateAuthenticationOptions, verifyAuthenticationResponse,
  type RegistrationResponseJSON, type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON, type AuthenticatorTransport,
} from '@simplewebauthn/server';
import type { Pool } from '../db/pool.ts';
import { withTransaction } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import { insertUser } from './user-queries.ts';
import { insertChallenge, consumeChallenge, deleteExpiredChallenges } from './challenge-queries.ts';
import { findUserHandle, insertUserHandle, insertPasskey, findPasskey, listPasskeys, markPasskeyUsed, type PasskeyRow } from './passkey-queries.ts';

const CHALLENGE_TTL_MS = 5 * 60_000;
const RP_NAME = 'Cloister';

export interface PasskeyService {
  /** options for a new account's first passkey */
  signUpOptions(displayName: unknown): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** verifies a sign-up response; creates the user and the passkey; returns the new user id */
  signUpVerify(response: unknown): Promise<string>;
  signInOptions(): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** verifies a sign-in response; returns the user id */
  signInVerify(response: unknown): Promise<string>;
  /** options to add a passkey to a signed-in user */
  addOptions(userId: string): Promise<PublicKeyCredentialCreationOptionsJSON>;
  addVerify(userId: string, response: unknown): Promise<PasskeyRow>;
}

function rejected(): AppError {
  return new AppError('invalid_request', 'The passkey could not be verified; start again.', { param: 'response' });
}

/** The challenge a WebAuthn response answers (from its clientDataJSON), or null. */
function challengeOf(response: unknown): string | null {
  const cd = (response as { response?: { clientDataJSON?: unknown } } | null)?.response?.clientDataJSON;
  if (typeof cd !== 'string' || cd.length > 4096) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cd, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof parsed.challenge === 'string' ? parsed.challenge : null;
  } catch {
    return null;
  }
}

function cleanName(name: unknown, param: string): string | null {
  if (name === undefined || name === null || name === '') return null;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (typeof name !== 'string' || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new AppError('invalid_request', `${param} must be at most 100 printable characters`, { param });
  }
  return name.trim() || null;
}

/** Builds the passkey service for the relying party named by PUBLIC_URL. */
export function createPasskeyService(deps: { pool: Pool; clock: Clock; publicUrl: URL }): PasskeyService {
  const { pool: db, clock } = deps;
  const rpID = deps.publicUrl.hostname;
  const origin = deps.publicUrl.origin;

  async function remember(purpose: string, challenge: string, extra: { userId?: string; handle?: string; displayName?: string | null } = {}): Promise<void> {
    await deleteExpiredChallenges(db, clock.now()); // housekeeping: abandoned ceremonies
    await insertChallenge(db, {
      id: randomUUID(), purpose, challenge, userId: extra.userId ?? null, pendingHandle: extra.handle ?? null,
      pendingDisplayName: extra.displayName ?? null, expiresAt: new Date(clock.now().getTime() + CHALLENGE_TTL_MS),
    });
  }

  async function verifyNew(response: unknown, challenge: string) {
    let result;
    try {
      result = await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpID,
        requireUserVerification: true,
      });
    } catch (e) {
      throw new AppError('invalid_request', 'The passkey could not be verified; start again.', { param: 'response', cause: e });
    }
    if (!result.verified) throw rejected();
    return result.registrationInfo;
  }

  async function creationOptions(userName: string, displayName: string, handle: string, exclude: PasskeyRow[]) {
    return generateRegistrationOptions({
      rpName: RP_NAME, rpID, userName, userDisplayName: displayName, userID: Buffer.from(handle, 'base64url'),
      attestationType: 'none',
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
      excludeCredentials: exclude.map((p) => ({ id: p.id, transports: p.transports as AuthenticatorTransport[] })),
    });
  }

  return {
    async signUpOptions(displayName) {
      const name = cleanName(displayName, 'display_name');
      const handle = randomBytes(32).toString('base64url');
      const options = await creationOptions(name ?? 'Cloister user', name ?? 'Cloister user', handle, []);
      await remember('passkey_signup', options.challenge, { handle, displayName: name });
      return options;
    },
    async signUpVerify(response) {
      const challenge = challengeOf(response);
      const row = challenge ? await consumeChallenge(db, challenge, 'passkey_signup', clock.now()) : null;
      if (!challenge || !row?.pending_handle) throw rejected();
      const info = await verifyNew(response, challenge);
      const userId = randomUUID();
      const now = clock.now();
      await withTransaction(db, async (tx) => {
        await insertUser(tx, { id: userId, email: null, emailVerified: false, displayName: row.pending_display_name, isAdmin: false, now });
        await insertUserHandle(tx, userId, row.pending_handle!);
        await insertPasskey(tx, {
          id: info.credential.id, userId, publicKey: info.credential.publicKey, counter: info.credential.counter,
          transports: info.credential.transports ?? [], deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp, name: null, now,
        });
      });
      return userId;
    },
    async signInOptions() {
      const options = await generateAuthenticationOptions({ rpID, userVerification: 'required', allowCredentials: [] });
      await remember('passkey_signin', options.challenge);
      return options;
    },
    async signInVerify(response) {
      const challenge = challengeOf(response);
      const row = challenge ? await consumeChallenge(db, challenge, 'passkey_signin', clock.now()) : null;
      const credentialId = (response as { id?: unknown } | null)?.id;
      if (!challenge || !row || typeof credentialId !== 'string') throw rejected();
      const passkey = await findPasskey(db, credentialId);
      if (!passkey) throw rejected();
      // A discoverable credential returns the user handle; it must name the passkey's owner.
      const userHandle = (response as { response?: { userHandle?: unknown } }).response?.userHandle;
      if (userHandle !== undefined && userHandle !== (await findUserHandle(db, passkey.user_id))) throw rejected();
      let result;
      try {
        result = await verifyAuthenticationResponse({
          response: response as AuthenticationResponseJSON, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpID,
          credential: { id: passkey.id, publicKey: new Uint8Array(passkey.public_key), counter: Number(passkey.counter), transports: passkey.transports as AuthenticatorTransport[] },
          requireUserVerification: true,
        });
      } catch (e) {
        throw new AppError('invalid_request', 'The passkey could not be verified; start again.', { param: 'response', cause: e });
      }
      if (!result.verified) throw rejected();
      await markPasskeyUsed(db, passkey.id, passkey.user_id, result.authenticationInfo.newCounter, result.authenticationInfo.credentialBackedUp, clock.now());
      return passkey.user_id;
    },
    async addOptions(userId) {
      let handle = await findUserHandle(db, userId);
      if (!handle) {
        await insertUserHandle(db, userId, randomBytes(32).toString('base64url'));
        handle = (await findUserHandle(db, userId))!;
      }
      const existing = await listPasskeys(db, userId);
      const options = await creationOptions('Cloister account', 'Cloister account', handle, existing);
      await remember('passkey_add', options.challenge, { userId });
      return options;
    },
    async addVerify(userId, response) {
      const challenge = challengeOf(response);
      const row = challenge ? await consumeChallenge(db, challenge, 'passkey_add', clock.now()) : null;
      if (!challenge || !row || row.user_id !== userId) throw rejected();
      const info = await verifyNew(response, challenge);
      await insertPasskey(db, {
        id: info.credential.id, userId, publicKey: info.credential.publicKey, counter: info.credential.counter,
        transports: info.credential.transports ?? [], deviceType: info.credentialDeviceType, backedUp: info.credentialBackedUp, name: null, now: clock.now(),
      });
      return (await findPasskey(db, info.credential.id))!;
    },
  };
}
