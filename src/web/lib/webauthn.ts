// WebAuthn JSON <-> browser objects (the server speaks @simplewebauthn's JSON shapes).
import { base64urlToBytes, bytesToBase64url } from './bytes.ts';

type Json = Record<string, unknown>;

export function passkeysSupported(): boolean {
  return typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;
}

/** navigator.credentials.create from PublicKeyCredentialCreationOptionsJSON; returns RegistrationResponseJSON. */
export async function createPasskey(options: Json): Promise<Json> {
  const o = options as { challenge: string; user: { id: string; name: string; displayName: string }; excludeCredentials?: Array<{ id: string; type: string; transports?: string[] }> } & Json;
  const publicKey = {
    ...o,
    challenge: base64urlToBytes(o.challenge),
    user: { ...o.user, id: base64urlToBytes(o.user.id) },
    excludeCredentials: (o.excludeCredentials ?? []).map((c) => ({ ...c, id: base64urlToBytes(c.id) })),
  } as unknown as PublicKeyCredentialCreationOptions;
  const cred = await navigator.credentials.create({ publicKey }) as PublicKeyCredential | null;
  if (!cred) throw new Error('No passkey was created.');
  const r = cred.response as AuthenticatorAttestationResponse;
  return {
    id: cred.id,
    rawId: bytesToBase64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: bytesToBase64url(r.clientDataJSON),
      attestationObject: bytesToBase64url(r.attestationObject),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : undefined,
      publicKeyAlgorithm: typeof r.getPublicKeyAlgorithm === 'function' ? r.getPublicKeyAlgorithm() : undefined,
      publicKey: typeof r.getPublicKey === 'function' && r.getPublicKey() ? bytesToBase64url(r.getPublicKey()!) : undefined,
      authenticatorData: typeof r.getAuthenticatorData === 'function' ? bytesToBase64url(r.getAuthenticatorData()) : undefined,
    },
  };
}

/** navigator.credentials.get from PublicKeyCredentialRequestOptionsJSON; returns AuthenticationResponseJSON. */
export async function getPasskey(options: Json): Promise<Json> {
  const o = options as { challenge: string; allowCredentials?: Array<{ id: string; type: string; transports?: string[] }> } & Json;
  const publicKey = {
    ...o,
    challenge: base64urlToBytes(o.challenge),
    allowCredentials: (o.allowCredentials ?? []).map((c) => ({ ...c, id: base64urlToBytes(c.id) })),
  } as unknown as PublicKeyCredentialRequestOptions;
  const cred = await navigator.credentials.get({ publicKey }) as PublicKeyCredential | null;
  if (!cred) throw new Error('No passkey was used.');
  const r = cred.response as AuthenticatorAssertionResponse;
  return {
    id: cred.id,
    rawId: bytesToBase64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment ?? undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: bytesToBase64url(r.clientDataJSON),
      authenticatorData: bytesToBase64url(r.authenticatorData),
      signature: bytesToBase64url(r.signature),
      userHandle: r.userHandle ? bytesToBase64url(r.userHandle) : undefined,
    },
  };
}
