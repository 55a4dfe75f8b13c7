// X.509 chain checks for Intel's PCK and TCB-signing chains: each certificate signed by the
// next, names chained, intermediates are CAs, every certificate valid at the evaluation time,
// and the top either is a trusted root (byte-equal) or is signed by one.
import { x509 } from './x509.ts';
import { bytesEqual } from '../tdx/bytes.ts';

type Cert = InstanceType<typeof x509.X509Certificate>;

/** Split a PEM bundle (leaf first) into certificates; throws on an empty or unparseable bundle. */
export function parsePemChain(pem: string): Cert[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificates found');
  return blocks.map((b, i) => {
    try {
      return new x509.X509Certificate(b);
    } catch (e) {
      throw new Error(`certificate ${i} does not parse: ${(e as Error).message}`, { cause: e });
    }
  });
}

/** Parse DER root certificates. */
export function parseRoots(roots: readonly Uint8Array[]): Cert[] {
  return roots.map((r) => new x509.X509Certificate(r as Uint8Array<ArrayBuffer>));
}

/** The DER bytes of a certificate. */
export function certDer(c: Cert): Uint8Array {
  return new Uint8Array(c.rawData);
}

/** Result of a chain check: the root it ended at, or why it failed. */
export type ChainResult = { ok: true; root: Cert; detail: string } | { ok: false; detail: string };

function validAt(c: Cert, at: Date): string | null {
  if (at < c.notBefore) return `"${c.subject}" is not valid before ${c.notBefore.toISOString()}`;
  if (at > c.notAfter) return `"${c.subject}" expired at ${c.notAfter.toISOString()}`;
  return null;
}

/** True when `child`'s signature verifies with `issuer`'s public key. */
export async function signedBy(child: Cert, issuer: Cert): Promise<boolean> {
  try {
    return await child.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

function isCa(c: Cert): boolean {
  const bc = c.getExtension(x509.BasicConstraintsExtension);
  return bc !== null && bc.ca;
}

/** Verify `chain` (leaf first) up to one of `roots`, with every certificate valid at `at`. */
export async function verifyChain(chain: readonly Cert[], roots: readonly Cert[], at: Date): Promise<ChainResult> {
  if (chain.length === 0) return { ok: false, detail: 'empty certificate chain' };
  for (let i = 0; i < chain.length; i++) {
    const c = chain[i] as Cert;
    const bad = validAt(c, at);
    if (bad) return { ok: false, detail: bad };
    const up = chain[i + 1];
    if (!up) break;
    if (c.issuer !== up.subject) return { ok: false, detail: `"${c.subject}" is issued by "${c.issuer}", but the next certificate is "${up.subject}"` };
    if (!isCa(up)) return { ok: false, detail: `"${up.subject}" is not a CA certificate` };
    if (!(await signedBy(c, up))) return { ok: false, detail: `signature of "${c.subject}" does not verify with "${up.subject}"` };
  }
  const top = chain[chain.length - 1] as Cert;
  const topDer = certDer(top);
  for (const r of roots) {
    if (bytesEqual(certDer(r), topDer)) return { ok: true, root: r, detail: `chain of ${chain.length} ends at trusted root "${r.subject}"` };
  }
  for (const r of roots) {
    if (r.subject === top.issuer && isCa(r) && (await signedBy(top, r))) {
      const bad = validAt(r, at);
      if (bad) return { ok: false, detail: bad };
      return { ok: true, root: r, detail: `chain of ${chain.length} is signed by trusted root "${r.subject}"` };
    }
  }
  return { ok: false, detail: `chain ends at "${top.subject}", which is not a trusted root` };
}
