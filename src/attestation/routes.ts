// GET /v1/attestation/report (public; fresh-nonce quotes rate-limited per client IP) and
// GET /v1/signature/{id} (owner only: someone else's id is the same 404 as an unknown one).
import type Router from '@koa/router';
import { createRouter } from '../http/router.ts';
import { AppError } from '../errors.ts';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import type { AppMiddleware, AppState } from '../http/context.ts';
import { takeRate } from '../limits/rate.ts';
import { UPSTREAM_ID } from '../conversations/ownership.ts';
import type { Attestation } from './service.ts';
import type { SigningAlgo } from './signing-keys.ts';
import { findSignature, saveSignature } from './signature-queries.ts';

const MODEL = /^[A-Za-z0-9._:@/+-]{1,200}$/;

function algoParam(v: unknown): SigningAlgo {
  if (v === undefined || v === 'ecdsa') return 'ecdsa';
  if (v === 'ed25519') return 'ed25519';
  throw new AppError('invalid_request', 'signing_algo must be ecdsa or ed25519', { param: 'signing_algo' });
}

/** signing_address: an ecdsa address (20 bytes) or ed25519 key (32 bytes), hex with or without 0x; normalised to lower-case hex. */
function signingAddressParam(v: unknown, algo: SigningAlgo): string | null {
  if (v === undefined) return null;
  const bytes = algo === 'ecdsa' ? 20 : 32;
  if (typeof v !== 'string' || !new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`).test(v)) {
    throw new AppError('invalid_request', `signing_address must be ${bytes} bytes of hex for signing_algo=${algo}`, { param: 'signing_address' });
  }
  return v.replace(/^0x/, '').toLowerCase();
}

/** Attestation and signature routes. */
export function createAttestationRouter(deps: { attestation: Attestation; db: Queryable; clock: Clock; auth: AppMiddleware; freshQuotesPerMinute: number; signaturesPerMinute: number }): Router<AppState> {
  const router = createRouter({ prefix: '/v1' });
  const { attestation } = deps;

  router.get('/attestation/report', async (ctx) => {
    if (!attestation.reports) throw new AppError('attestation_unavailable', 'attestation is off');
    const q = ctx.query;
    let nonce: Uint8Array | null = null;
    if (q.nonce !== undefined) {
      if (typeof q.nonce !== 'string' || !/^[0-9a-fA-F]{64}$/.test(q.nonce)) throw new AppError('invalid_nonce', 'nonce must be 64 hex characters (32 bytes)', { param: 'nonce' });
      nonce = new Uint8Array(Buffer.from(q.nonce, 'hex'));
    }
    const algo = algoParam(q.signing_algo);
    const includeTls = q.include_tls_fingerprint === 'true';
    if (q.include_tls_fingerprint !== undefined && q.include_tls_fingerprint !== 'true' && q.include_tls_fingerprint !== 'false') {
      throw new AppError('invalid_request', 'include_tls_fingerprint must be true or false', { param: 'include_tls_fingerprint' });
    }
    if (includeTls && !attestation.tlsEnabled) {
      throw new AppError('invalid_request', 'include_tls_fingerprint needs Cloister to terminate TLS itself (TLS_CERT_FILE and TLS_KEY_FILE)', { param: 'include_tls_fingerprint' });
    }
    let model: string | null = null;
    if (q.model !== undefined) {
      if (typeof q.model !== 'string' || !MODEL.test(q.model)) throw new AppError('invalid_request', 'model is not a valid model id', { param: 'model' });
      model = q.model;
    }
    const signingAddress = signingAddressParam(q.signing_address, algo);
    if (nonce !== null) {
      // Fresh quotes cost the TEE real work: a per-IP budget shared by replicas (Postgres).
      await takeRate(deps.db, deps.clock, `attestation:ip:${ctx.state.clientIp}`, deps.freshQuotesPerMinute,
        'Too many fresh attestation quotes from this address; retry later or omit the nonce for the cached report.');
    }
    const body = await attestation.reports.build({ nonce, algo, includeTls, model, signingAddress, requestId: ctx.state.requestId });
    ctx.set('cache-control', nonce === null ? 'public, max-age=60' : 'no-store');
    ctx.type = 'application/json';
    ctx.body = body;
  });

  router.get('/signature/:id', deps.auth, async (ctx) => {
    // Per user: a signature made on first request costs a signing operation.
    await takeRate(deps.db, deps.clock, `attestation:user:${ctx.state.principal!.userId}`, deps.signaturesPerMinute, 'Too many signature requests; try again later.');
    const id = String(ctx.params.id);
    const algo = algoParam(ctx.query.signing_algo);
    const keys = attestation.keys;
    const row = UPSTREAM_ID.test(id) && keys ? await findSignature(deps.db, id, ctx.state.principal!.userId, deps.clock.now()) : null;
    if (!row || !keys) throw new AppError('not_found', `No signature found for id '${id.slice(0, 128)}'.`, { param: 'id' });
    const k = await keys();
    let signature = algo === 'ecdsa' ? row.ecdsa_signature : row.ed25519_signature;
    if (signature === null) {
      signature = k.sign(algo, row.text);
      await saveSignature(deps.db, row.object_id, ctx.state.principal!.userId, row.text, algo, signature);
    }
    ctx.body = { text: row.text, signature, signing_address: k.address(algo), signing_algo: algo };
  });
  return router;
}
