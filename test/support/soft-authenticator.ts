// A software WebAuthn authenticator for tests: P-256 keys from node:crypto, CBOR from cborg,
// "none" attestation, user presence and verification flags set. It produces the same JSON
// shapes a browser hands to @simplewebauthn/server.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { encode } from 'cborg';

interface StoredCredential {
  id: Buffer;
  privateKey: KeyObject;
  rpId: string;
  userHandle: string;
  counter: number;
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export interface SoftAuthenticator {
  /** answers PublicKeyCredentialCreationOptionsJSON with a RegistrationResponseJSON */
  register(options: Record<string, unknown>, origin: string, overrides?: { userVerified?: boolean; challenge?: string }): Record<string, unknown>;
  /** answers PublicKeyCredentialRequestOptionsJSON with an AuthenticationResponseJSON from a discoverable credential */
  authenticate(options: Record<string, unknown>, origin: string, overrides?: { userVerified?: boolean; counter?: number }): Record<string, unknown>;
  readonly credentials: readonly StoredCredential[];
}

/** Creates an empty authenticator. */
export function softAuthenticator(): SoftAuthenticator {
  const credentials: StoredCredential[] = [];
  function authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), c, ...(attested ? [attested] : [])]);
  }
  return {
    credentials,
    register(options, origin, overrides = {}) {
      const rp = options.rp as { id: string };
      const user = options.user as { id: string };
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' });
      const id = randomBytes(16);
      const cose = encode(new Map<number, unknown>([
        [1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')],
      ]));
      const len = Buffer.alloc(2);
      len.writeUInt16BE(id.length);
      const attested = Buffer.concat([Buffer.alloc(16), len, id, Buffer.from(cose)]);
      const flags = 0x01 | (overrides.userVerified === false ? 0 : 0x04) | 0x40;
      const ad = authData(rp.id, flags, 0, attested);
      const clientData = JSON.stringify({ type: 'webauthn.create', challenge: overrides.challenge ?? options.challenge, origin, crossOrigin: false });
      credentials.push({ id, privateKey, rpId: rp.id, userHandle: user.id, counter: 0 });
      return {
        id: b64u(id), rawId: b64u(id), type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
        response: {
          clientDataJSON: b64u(Buffer.from(clientData)),
          attestationObject: b64u(encode({ fmt: 'none', attStmt: {}, authData: ad })),
          transports: ['internal'],
        },
      };
    },
    authenticate(options, origin, overrides = {}) {
      const rpId = options.rpId as string;
      const cred = credentials.find((c) => c.rpId === rpId);
      if (!cred) throw new Error('no credential for this RP');
      cred.counter = overrides.counter ?? cred.counter + 1;
      const flags = 0x01 | (overrides.userVerified === false ? 0 : 0x04);
      const ad = authData(rpId, flags, cred.counter);
      const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
      const signature = sign('sha256', Buffer.concat([ad, sha256(clientData)]), cred.privateKey);
      return {
        id: b64u(cred.id), rawId: b64u(cred.id), type: 'public-key', clientExtensionResults: {}, authenticatorAttachment: 'platform',
        response: { clientDataJSON: b64u(clientData), authenticatorData: b64u(ad), signature: b64u(signature), userHandle: cred.userHandle },
      };
    },
  };
}
