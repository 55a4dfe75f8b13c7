// Verifies one reply: the bytes this tab sent and received are hashed here, the server's
// signature is fetched, and the verifier library checks it against the attested address.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api/http.ts';
import { describeError } from '../api/explain-error.ts';
import { sha256Hex } from '../lib/bytes.ts';
import { attestedOnce } from './attestation.ts';
import { verifyResponseSignature, type Check } from './verifier.ts';
import { CheckList } from './check-list.tsx';

interface SignatureBody { text: string; signature: string; signing_address: string; signing_algo: string }

export interface Exchange { responseId: string | null; requestBytes: Uint8Array; responseBytes: Uint8Array }

export function MessageVerify({ exchange }: { exchange: Exchange }) {
  const [state, setState] = useState<{ hashes?: { request: string; response: string }; check?: Check; simulated?: boolean; error?: string }>({});
  useEffect(() => {
    let live = true;
    (async () => {
      const hashes = { request: await sha256Hex(exchange.requestBytes), response: await sha256Hex(exchange.responseBytes) };
      if (live) setState({ hashes });
      const sig = await fetchSignature(exchange.responseId!);
      const att = await attestedOnce();
      const g = att.report.gateway_attestation;
      const check = await verifyResponseSignature({
        requestBytes: exchange.requestBytes, responseBytes: exchange.responseBytes,
        text: sig.text, signature: sig.signature, signingAddress: sig.signing_address, signingAlgo: sig.signing_algo,
        attestedAddress: g.signing_address,
      });
      if (live) setState({ hashes, check, simulated: g.simulated });
    })().catch((e) => { if (live) setState((s) => ({ ...s, error: describeError(e) })); });
    return () => { live = false; };
  }, [exchange]);

  return (
    <div class="msg-verify" aria-live="polite">
      {state.simulated && <p class="simulated-inline"><strong>SIMULATED</strong> attestation: the signing key is not hardware-protected.</p>}
      {state.hashes && (
        <dl class="facts small">
          <dt>sha256 of the request you sent</dt><dd><code>{state.hashes.request}</code></dd>
          <dt>sha256 of the reply you received</dt><dd><code>{state.hashes.response}</code></dd>
        </dl>
      )}
      {state.check ? <CheckList checks={[state.check]} /> : !state.error && <p class="muted small">Checking…</p>}
      {state.error && <p role="alert" class="error small">{state.error}</p>}
    </div>
  );
}

/** The signature is written just after the stream ends; a short wait covers that race. */
async function fetchSignature(id: string): Promise<SignatureBody> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await api<SignatureBody>(`/v1/signature/${encodeURIComponent(id)}?signing_algo=ecdsa`);
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404) || attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
}
