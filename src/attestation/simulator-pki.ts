// The simulator's certificates. Its quotes chain to a generated "Cloister Simulated TDX Root",
// never to Intel's; its TLS certificates (GetTlsKey, Info's app_cert) are issued by a generated
// app CA, as dstack's KMS issues them for a real app. Nothing here may look like Intel's.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** The simulated root's name. No comma inside a value: X.509 names split on commas. */
export const SIMULATED_ROOT_NAME = 'CN=Cloister Simulated TDX Root, O=Cloister (simulated - not Intel)';
const APP_CA_NAME = 'CN=Cloister Simulated App CA, O=Cloister (simulated - not dstack KMS)';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const NOT_BEFORE = new Date(Date.UTC(2025, 0, 1));
const NOT_AFTER = new Date(Date.UTC(2045, 0, 1));
/** dstack's RA-TLS extensions: the TDX quote and its event log (ra-tls oids.rs). */
export const RATLS_QUOTE_OID = '1.3.6.1.4.1.62397.1.1';
export const RATLS_EVENT_LOG_OID = '1.3.6.1.4.1.62397.1.2';

type Cert = InstanceType<typeof x509.X509Certificate>;

/** The simulator's PKI: the quote chain's PCK key, and the app CA for TLS certificates. */
export interface SimulatorPki {
  /** PCK leaf, platform CA, simulated root (PEM, leaf first). */
  readonly chainPem: string;
  readonly pckKey: CryptoKey;
  readonly appCa: { cert: Cert; key: CryptoKey };
}

const gen = (): Promise<CryptoKeyPair> => crypto.subtle.generateKey(EC, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
const caExtensions = (): x509.Extension[] => [new x509.BasicConstraintsExtension(true, 1, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)];

/** Generates the PKI (fresh keys each start: only the GetKey keys are stable across restarts). */
export async function makeSimulatorPki(): Promise<SimulatorPki> {
  const [rootKeys, caKeys, pckKeys, appCaKeys] = await Promise.all([gen(), gen(), gen(), gen()]);
  const validity = { notBefore: NOT_BEFORE, notAfter: NOT_AFTER, signingAlgorithm: EC };
  const root = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: SIMULATED_ROOT_NAME, keys: rootKeys, extensions: caExtensions(), ...validity });
  const ca = await x509.X509CertificateGenerator.create({ serialNumber: '02', subject: 'CN=Cloister Simulated PCK Platform CA', issuer: root.subject, publicKey: caKeys.publicKey, signingKey: rootKeys.privateKey, extensions: caExtensions(), ...validity });
  const leaf = await x509.X509CertificateGenerator.create({ serialNumber: '03', subject: 'CN=Cloister Simulated PCK Certificate', issuer: ca.subject, publicKey: pckKeys.publicKey, signingKey: caKeys.privateKey, ...validity });
  const appCa = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '10', name: APP_CA_NAME, keys: appCaKeys, extensions: caExtensions(), ...validity });
  return { chainPem: `${[leaf, ca, root].map((c) => c.toString('pem')).join('\n')}\n`, pckKey: pckKeys.privateKey, appCa: { cert: appCa, key: appCaKeys.privateKey } };
}

/** What a GetTlsKey request asks for. */
export interface TlsKeyRequest {
  subject: string;
  altNames: string[];
  serverAuth: boolean;
  clientAuth: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** DER OCTET STRING values of the RA-TLS extensions, when usage_ra_tls was asked for. */
  raTls?: { quote: Uint8Array; eventLog: Uint8Array };
}

function octetString(b: Uint8Array): Uint8Array<ArrayBuffer> {
  const n = b.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out.set([0x04, ...len]);
  out.set(b, 1 + len.length);
  return out;
}

/** A fresh P-256 key pair for a TLS certificate. */
export const newTlsKeyPair = gen;

/** A certificate from the app CA for `keys`: the PKCS#8 PEM key and the chain (PEM, leaf first). */
export async function issueTlsKey(pki: SimulatorPki, req: TlsKeyRequest, serial: string, keys: CryptoKeyPair): Promise<{ key: string; chain: string[] }> {
  const usages: string[] = [];
  if (req.serverAuth) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (req.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)];
  if (usages.length) extensions.push(new x509.ExtendedKeyUsageExtension(usages));
  if (req.altNames.length) extensions.push(new x509.SubjectAlternativeNameExtension(req.altNames.map((value) => ({ type: 'dns' as const, value }))));
  if (req.raTls) {
    extensions.push(new x509.Extension(RATLS_QUOTE_OID, false, octetString(req.raTls.quote)));
    extensions.push(new x509.Extension(RATLS_EVENT_LOG_OID, false, octetString(req.raTls.eventLog)));
  }
  const subject = req.subject === '' ? 'CN=dstack-simulated' : `CN=${req.subject.replace(/[,=+<>#;\\"]/g, ' ')}`;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial, subject, issuer: pki.appCa.cert.subject, publicKey: keys.publicKey, signingKey: pki.appCa.key, extensions,
    notBefore: req.notBefore ?? NOT_BEFORE, notAfter: req.notAfter ?? NOT_AFTER, signingAlgorithm: EC,
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { key, chain: [cert.toString('pem'), pki.appCa.cert.toString('pem')] };
}
