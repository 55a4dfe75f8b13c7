// Fetch DCAP collateral for a TDX quote from a PCCS or Intel PCS (API v4), into dcap-qvl's
// collateral shape. Pure apart from the injected fetch, so the browser can use it too.
// Signed JSON (tcbInfo, enclaveIdentity) is kept as the exact text the service sent, because
// Intel's signature covers those bytes.
import { bytesToHex, hexToBytes } from '../tdx/bytes.ts';
import type { TdxQuote } from '../tdx/quote-parse.ts';
import { parsePemChain } from './pck-chain.ts';
import { readPckExtensions } from './pck-extensions.ts';
import { objectMembers } from './raw-json.ts';
import type { Collateral } from './types.ts';

type FetchFn = (url: string) => Promise<Response>;

/** The exact text of the top-level member `key` of the JSON object `body`, which must be an object. */
export function rawJsonMember(body: string, key: string): string {
  try {
    JSON.parse(body);
  } catch {
    throw new Error('response is not JSON');
  }
  const span = objectMembers(body).get(key);
  if (!span) throw new Error(`response has no "${key}"`);
  if (body[span.start] !== '{') throw new Error(`"${key}" is not an object`);
  return body.slice(span.start, span.end);
}

async function get(fetchFn: FetchFn, url: string): Promise<Response> {
  const res = await fetchFn(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res;
}

function header(res: Response, ...names: string[]): string {
  for (const n of names) {
    const v = res.headers.get(n);
    if (v) return decodeURIComponent(v);
  }
  throw new Error(`response lacks the ${names.join(' / ')} header`);
}

/** CRL bodies come as DER (Intel PCS) or as hex text (PCCS); return hex either way. */
async function crlHex(res: Response): Promise<string> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes).trim();
  if (/^[0-9a-fA-F]+$/.test(text)) return bytesToHex(hexToBytes(text));
  return bytesToHex(bytes);
}

/** Fetch TCB info, QE identity, PCK CRL and root CA CRL for `quote` from `baseUrl`. */
export async function fetchCollateral(baseUrl: string, quote: TdxQuote, fetchFn: FetchFn): Promise<Collateral> {
  const base = baseUrl.replace(/\/+$/, '').replace(/\/(sgx|tdx)\/certification\/v4$/, '');
  const chain = parsePemChain(quote.pckCertChainPem);
  const fmspc = readPckExtensions(chain[0] as NonNullable<(typeof chain)[0]>).fmspc.toUpperCase();
  const ca = /Processor/i.test(chain[1]?.subject ?? '') ? 'processor' : 'platform';

  const pckRes = await get(fetchFn, `${base}/sgx/certification/v4/pckcrl?ca=${ca}&encoding=der`);
  const pckCrlIssuerChain = header(pckRes, 'SGX-PCK-CRL-Issuer-Chain');
  const pckCrl = await crlHex(pckRes);

  const tcbRes = await get(fetchFn, `${base}/tdx/certification/v4/tcb?fmspc=${fmspc}`);
  const tcbChain = header(tcbRes, 'TCB-Info-Issuer-Chain', 'SGX-TCB-Info-Issuer-Chain');
  const tcbBody = await tcbRes.text();

  const qeRes = await get(fetchFn, `${base}/tdx/certification/v4/qe/identity?update=standard`);
  const qeChain = header(qeRes, 'SGX-Enclave-Identity-Issuer-Chain');
  const qeBody = await qeRes.text();

  const rootRes = await get(fetchFn, `${base}/sgx/certification/v4/rootcacrl`);
  const rootCrl = await crlHex(rootRes);

  return {
    pck_crl_issuer_chain: pckCrlIssuerChain,
    root_ca_crl: rootCrl,
    pck_crl: pckCrl,
    tcb_info_issuer_chain: tcbChain,
    tcb_info: rawJsonMember(tcbBody, 'tcbInfo'),
    tcb_info_signature: String((JSON.parse(tcbBody) as { signature?: unknown }).signature ?? ''),
    qe_identity_issuer_chain: qeChain,
    qe_identity: rawJsonMember(qeBody, 'enclaveIdentity'),
    qe_identity_signature: String((JSON.parse(qeBody) as { signature?: unknown }).signature ?? ''),
  };
}
