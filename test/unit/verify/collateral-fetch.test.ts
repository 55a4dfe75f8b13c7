// --pccs-url: collateral fetched through an injected fetch (PCS v4 shapes) verifies exactly like
// the collateral file, because the signed JSON text is kept byte for byte.
import { expect } from 'chai';
import { hexToBytes } from '../../../src/tdx/bytes.ts';
import { parseQuote } from '../../../src/tdx/quote-parse.ts';
import { fetchCollateral, rawJsonMember } from '../../../src/verify/collateral-fetch.ts';
import type { Collateral } from '../../../src/verify/types.ts';
import { dcapQuote, fixtureJson } from '../tdx/fixtures.ts';

const col = fixtureJson<Collateral>('dcap-qvl-tdx-quote-collateral.json');

function fakePcs(seen: string[]): (url: string) => Promise<Response> {
  return async (url) => {
    seen.push(url);
    const u = new URL(url);
    if (u.pathname.endsWith('/pckcrl')) return new Response(hexToBytes(col.pck_crl) as Uint8Array<ArrayBuffer>, { headers: { 'SGX-PCK-CRL-Issuer-Chain': encodeURIComponent(col.pck_crl_issuer_chain) } });
    if (u.pathname.endsWith('/tcb')) return new Response(`{"tcbInfo":${col.tcb_info},"signature":"${col.tcb_info_signature}"}`, { headers: { 'TCB-Info-Issuer-Chain': encodeURIComponent(col.tcb_info_issuer_chain) } });
    if (u.pathname.endsWith('/qe/identity')) return new Response(`{"enclaveIdentity":${col.qe_identity},"signature":"${col.qe_identity_signature}"}`, { headers: { 'SGX-Enclave-Identity-Issuer-Chain': encodeURIComponent(col.qe_identity_issuer_chain) } });
    if (u.pathname.endsWith('/rootcacrl')) return new Response(col.root_ca_crl); // PCCS serves hex text
    return new Response('not found', { status: 404 });
  };
}

describe('verify/collateral-fetch', () => {
  it('fetches the four PCS v4 resources for the quote\'s FMSPC and CA, keeping signed JSON exact', async () => {
    const seen: string[] = [];
    const got = await fetchCollateral('https://pccs.test/sgx/certification/v4/', parseQuote(dcapQuote()), fakePcs(seen));
    expect(seen).to.deep.equal([
      'https://pccs.test/sgx/certification/v4/pckcrl?ca=platform&encoding=der',
      'https://pccs.test/tdx/certification/v4/tcb?fmspc=B0C06F000000',
      'https://pccs.test/tdx/certification/v4/qe/identity?update=standard',
      'https://pccs.test/sgx/certification/v4/rootcacrl',
    ]);
    expect(got).to.deep.equal(col);
  });

  it('reports HTTP errors with the URL', async () => {
    let e: unknown;
    try { await fetchCollateral('https://pccs.test', parseQuote(dcapQuote()), async () => new Response('x', { status: 500 })); } catch (err) { e = err; }
    expect(String(e)).to.match(/pckcrl.*HTTP 500/);
  });

  it('extracts a member object even when strings contain braces', () => {
    expect(rawJsonMember('{"a":{"s":"}{\\"","n":{"x":1}},"b":2}', 'a')).to.equal('{"s":"}{\\"","n":{"x":1}}');
  });

  it('takes only a top-level member: a key inside a string or a nested object, or a duplicate, is not it', () => {
    expect(rawJsonMember('{"note":"\\"tcbInfo\\":{}","x":{"tcbInfo":{"a":1}},"tcbInfo":{"b":2}}', 'tcbInfo')).to.equal('{"b":2}');
    expect(() => rawJsonMember('{"tcbInfo":{"a":1},"tcbInfo":{"b":2}}', 'tcbInfo')).to.throw(/duplicate key "tcbInfo"/);
    expect(() => rawJsonMember('{"x":{"tcbInfo":{}}}', 'tcbInfo')).to.throw(/has no "tcbInfo"/);
    expect(() => rawJsonMember('{"tcbInfo":', 'tcbInfo')).to.throw(/not JSON/);
  });
});
