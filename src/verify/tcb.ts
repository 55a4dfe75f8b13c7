// quote.tcb: verify the collateral (TCB info and QE identity signed by Intel's TCB signing
// certificate chained to the root, PCK and root CRLs) at the evaluation time, then match the
// quote's TCB against it.
//
// Time rules (documented in attestation/README.md): every certificate must be valid at `at`;
// the TCB info must satisfy issueDate <= at <= nextUpdate (its window is "the collateral's
// validity"); the QE identity must satisfy at <= nextUpdate; CRLs must be issued (thisUpdate
// <= at). A CRL past its nextUpdate is reported in the detail but, as in dcap-qvl, does not fail
// the check: Intel re-issues CRLs on a schedule that does not line up with the TCB info's.
import { hexToBytes, utf8 } from '../tdx/bytes.ts';
import type { TdxQuote } from '../tdx/quote-parse.ts';
import { errorText, fail, pass, skip } from './check.ts';
import { parsePemChain, verifyChain } from './pck-chain.ts';
import { readPckExtensions } from './pck-extensions.ts';
import { verifyP256 } from './p256.ts';
import { matchTcb, type QeIdentity, type TdxTcbInfo } from './tcb-levels.ts';
import { x509 } from './x509.ts';
import type { VerifyPolicy } from './policy.ts';
import type { Check, Collateral } from './types.ts';

type Cert = InstanceType<typeof x509.X509Certificate>;


function rawP256Key(c: Cert): Uint8Array {
  const spki = new Uint8Array(c.publicKey.rawData);
  return spki.subarray(spki.length - 65);
}

/** Chains already verified during one checkTcb call (TCB info and QE identity share one). */
type ChainCache = Map<string, Promise<Cert>>;

function verifiedLeaf(name: string, chainPem: string, roots: Cert[], at: Date, cache: ChainCache): Promise<Cert> {
  let p = cache.get(chainPem);
  if (!p) {
    p = (async () => {
      const chain = parsePemChain(chainPem);
      const r = await verifyChain(chain, roots, at);
      if (!r.ok) throw new Error(`${name} issuer chain: ${r.detail}`);
      return chain[0] as Cert;
    })();
    cache.set(chainPem, p);
  }
  return p;
}

async function verifySignedJson(name: string, json: string, sigHex: string, chainPem: string, roots: Cert[], at: Date, cache: ChainCache): Promise<Cert> {
  const leaf = await verifiedLeaf(name, chainPem, roots, at, cache);
  const ok = await verifyP256(hexToBytes(sigHex, `${name} signature`), utf8(json), rawP256Key(leaf));
  if (!ok) throw new Error(`${name} signature does not verify with "${leaf.subject}"`);
  return leaf;
}

function date(s: string, what: string): Date {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new Error(`${what} is not a date`);
  return d;
}

async function checkCrl(name: string, hex: string, issuer: Cert, revocable: Cert[], at: Date, notes: string[]): Promise<void> {
  const crl = new x509.X509Crl(hexToBytes(hex, name) as Uint8Array<ArrayBuffer>);
  if (crl.issuer !== issuer.subject) throw new Error(`${name} is issued by "${crl.issuer}", expected "${issuer.subject}"`);
  if (!(await crl.verify({ publicKey: issuer }))) throw new Error(`${name} signature does not verify with "${issuer.subject}"`);
  if (at < crl.thisUpdate) throw new Error(`${name} is not issued yet at ${at.toISOString()} (thisUpdate ${crl.thisUpdate.toISOString()})`);
  if (crl.nextUpdate && at > crl.nextUpdate) notes.push(`${name} past its nextUpdate ${crl.nextUpdate.toISOString()}`);
  for (const c of revocable) {
    if (crl.findRevoked(c)) throw new Error(`"${c.subject}" (serial ${c.serialNumber}) is revoked by the ${name}`);
  }
}

/** The outcome of quote.tcb, with the status and advisories when the TCB level was matched. */
export interface TcbOutcome {
  check: Check;
  status?: string;
  advisoryIds?: string[];
}

/** Accepted when the policy allows the status and every advisory; the reason when not. */
function judge(status: string, advisories: string[], policy: VerifyPolicy['tcb']): string | null {
  if (!policy.allowed_statuses.includes(status)) return `TCB status ${status} is not allowed by the policy (allowed: ${policy.allowed_statuses.join(', ') || 'none'})`;
  const unlisted = advisories.filter((a) => !policy.allowed_advisory_ids.includes(a));
  if (unlisted.length) return `advisories ${unlisted.join(', ')} are not allowed by the policy`;
  return null;
}

/** quote.tcb; `pckChain` is the quote's chain (leaf, platform/processor CA, root); `policy` says which statuses and advisories pass. */
export async function checkTcb(q: TdxQuote, pckChain: Cert[] | undefined, collateral: Collateral | undefined, roots: Cert[], at: Date, policy: VerifyPolicy['tcb']): Promise<TcbOutcome> {
  if (!collateral) return { check: skip('quote.tcb', 'no collateral given (--collateral FILE or --pccs-url URL)', 'no collateral') };
  if (!pckChain || pckChain.length < 2) return { check: fail('quote.tcb', 'no usable PCK chain in the quote') };
  const notes: string[] = [];
  try {
    const tcbInfoBody = JSON.parse(collateral.tcb_info) as TdxTcbInfo;
    const qeIdentity = JSON.parse(collateral.qe_identity) as QeIdentity;
    const cache: ChainCache = new Map();
    const tcbSigner = await verifySignedJson('TCB info', collateral.tcb_info, collateral.tcb_info_signature, collateral.tcb_info_issuer_chain, roots, at, cache);
    await verifySignedJson('QE identity', collateral.qe_identity, collateral.qe_identity_signature, collateral.qe_identity_issuer_chain, roots, at, cache);

    const issue = date(tcbInfoBody.issueDate, 'TCB info issueDate');
    const next = date(tcbInfoBody.nextUpdate, 'TCB info nextUpdate');
    if (at < issue) return { check: fail('quote.tcb', `collateral not yet valid at ${at.toISOString()}: TCB info issued ${tcbInfoBody.issueDate}`) };
    if (at > next) return { check: fail('quote.tcb', `collateral expired at ${at.toISOString()}: TCB info nextUpdate was ${tcbInfoBody.nextUpdate}`) };
    if (at > date(qeIdentity.nextUpdate, 'QE identity nextUpdate')) return { check: fail('quote.tcb', `collateral expired: QE identity nextUpdate was ${qeIdentity.nextUpdate}`) };

    // Root CRL revokes intermediates (PCK CA, TCB signer); the PCK CA's CRL revokes PCK leaves.
    const leaf = pckChain[0] as Cert;
    const pckCa = pckChain[1] as Cert;
    const root = roots.find((r) => r.subject === pckCa.issuer);
    if (!root) throw new Error(`no trusted root named "${pckCa.issuer}" for the root CA CRL`);
    await checkCrl('root CA CRL', collateral.root_ca_crl, root, [pckCa, tcbSigner], at, notes);
    const crlIssuer = await verifiedLeaf('PCK CRL', collateral.pck_crl_issuer_chain, roots, at, cache);
    await checkCrl('PCK CRL', collateral.pck_crl, crlIssuer, [leaf], at, notes);

    const m = matchTcb(tcbInfoBody, qeIdentity, readPckExtensions(leaf), q.body, q.qeReportParsed);
    if (!m.ok) return { check: fail('quote.tcb', m.detail) };
    const advisoryIds = [...new Set(m.advisoryIds)];
    const adv = `; advisories: ${advisoryIds.length ? advisoryIds.join(', ') : 'none'}`;
    const note = notes.length ? `; note: ${notes.join('; ')}` : '';
    const detail = `TCB status ${m.status} at ${at.toISOString()} (${m.parts}; FMSPC ${tcbInfoBody.fmspc}, collateral valid ${tcbInfoBody.issueDate}..${tcbInfoBody.nextUpdate})${adv}${note}`;
    const refused = judge(m.status, advisoryIds, policy);
    return refused === null
      ? { check: pass('quote.tcb', detail), status: m.status, advisoryIds }
      : { check: fail('quote.tcb', `${refused}: ${detail}`), status: m.status, advisoryIds };
  } catch (e) {
    return { check: fail('quote.tcb', errorText(e)) };
  }
}
