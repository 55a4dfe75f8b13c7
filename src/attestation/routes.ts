// GET /v1/attestation/report (public; fresh-nonce quotes rate-limited per client IP) and
// GET /v1/signature/{id} (owner only: someone else's id is the same 404 as an unknown one).
import Type from 'typebox';
import { route, type Route } from '../http/route.ts';
import { AppError } from '../errors.ts';
import type { Queryable } from '../db/pool.ts';
import type { Clock } from '../clock.ts';
import { takeRate } from '../limits/rate.ts';
import { UPSTREAM_ID } from '../conversations/ownership.ts';
import type { Attestation } from './service.ts';
import type { SigningAlgo } from './signing-keys.ts';
import { findSignature, saveSignature } from './signature-queries.ts';

const MODEL = /^[A-Za-z0-9._:@/+-]{1,200}$/;

/** signing_address: an ecdsa address (20 bytes) or ed25519 key (32 bytes), hex with or without 0x; normalised to lower-case hex. */
function signingAddressParam(v: unknown, algo: SigningAlgo): string | null {
  if (v === undefined) return null;
  const bytes = algo === 'ecdsa' ? 20 : 32;
  if (typeof v !== 'string' || !new RegExp(`^(0x)?[0-9a-fA-F]{${bytes * 2}}$`).test(v)) {
    throw new AppError('invalid_request', `signing_address must be ${bytes} bytes of hex for signing_algo=${algo}`, { param: 'signing_address' });
  }
  return v.replace(/^0x/, '').toLowerCase();
}

const REPORT = Type.Object({
  gateway_attestation: Type.Object({
    signing_address: Type.String(), signing_algo: Type.Union([Type.Literal('ecdsa'), Type.Literal('ed25519')]), request_nonce: Type.String(),
    report_data: Type.String(), tls_cert_fingerprint: Type.Union([Type.String(), Type.Null()]), intel_quote: Type.String({ description: 'hex' }),
    event_log: Type.Unknown(), vm_config: Type.Unknown(), info: Type.Record(Type.String(), Type.Unknown()),
    build: Type.Object({ version: Type.String(), git_commit: Type.String(), source_date_epoch: Type.Union([Type.Integer(), Type.String(), Type.Null()]) }),
    simulated: Type.Boolean(),
  }),
  model_attestations: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: "the model provider's attestation objects (NEAR's shape), each byte for byte as the provider sent it; empty without a model or when it could not be fetched" }),
  upstream_error: Type.Optional(Type.String()),
});
const ALGO = Type.Optional(Type.Union([Type.Literal('ecdsa'), Type.Literal('ed25519')], { default: 'ecdsa' }));

/** Attestation and signature routes. */
export function attestationRoutes(deps: { attestation: Attestation; db: Queryable; clock: Clock; freshQuotesPerMinute: number; signaturesPerMinute: number }): Route[] {
  const { attestation } = deps;
  return [
    route({
      method: 'GET', path: '/v1/attestation/report', access: 'public',
      query: Type.Object({
        nonce: Type.Optional(Type.String({ maxLength: 128, description: '64 hex characters (32 bytes) of your own; fresh quotes are rate limited per client IP' })),
        signing_algo: ALGO,
        include_tls_fingerprint: Type.Optional(Type.Boolean()),
        model: Type.Optional(Type.String({ pattern: MODEL.source })),
        signing_address: Type.Optional(Type.String({ maxLength: 66, description: 'answer 404 unless this is the signing address' })),
      }, { additionalProperties: false }),
      doc: { tag: 'attestation', summary: 'Attestation report binding the signing keys and your nonce into a TDX quote', response: REPORT },
      async handle(ctx, { query: q }) {
        if (!attestation.reports) throw new AppError('attestation_unavailable', 'attestation is off');
        let nonce: Uint8Array | null = null;
        if (q.nonce !== undefined) {
          if (!/^[0-9a-fA-F]{64}$/.test(q.nonce)) throw new AppError('invalid_nonce', 'nonce must be 64 hex characters (32 bytes)', { param: 'nonce' });
          nonce = new Uint8Array(Buffer.from(q.nonce, 'hex'));
        }
        const algo = q.signing_algo ?? 'ecdsa';
        const includeTls = q.include_tls_fingerprint === true;
        if (includeTls && !attestation.tlsEnabled) {
          throw new AppError('invalid_request', 'include_tls_fingerprint needs Cloister to terminate TLS itself (TLS_CERT_FILE and TLS_KEY_FILE)', { param: 'include_tls_fingerprint' });
        }
        const signingAddress = signingAddressParam(q.signing_address, algo);
        if (nonce !== null) {
          // Fresh quotes cost the TEE real work: a per-IP budget shared by replicas (Postgres).
          await takeRate(deps.db, deps.clock, `attestation:ip:${ctx.state.clientIp}`, deps.freshQuotesPerMinute,
            'Too many fresh attestation quotes from this address; retry later or omit the nonce for the cached report.');
        }
        const body = await attestation.reports.build({ nonce, algo, includeTls, model: q.model ?? null, signingAddress, requestId: ctx.state.requestId });
        ctx.set('cache-control', nonce === null ? 'public, max-age=60' : 'no-store');
        ctx.type = 'application/json';
        ctx.body = body;
      },
    }),
    route({
      method: 'GET', path: '/v1/signature/:id', access: 'user',
      params: Type.Object({ id: Type.String({ pattern: UPSTREAM_ID.source }) }),
      query: Type.Object({ signing_algo: ALGO }, { additionalProperties: false }),
      doc: {
        tag: 'attestation', summary: 'The signature of your chat completion or response',
        response: Type.Object({ text: Type.String({ description: 'sha256(request bytes):sha256(response bytes)' }), signature: Type.String(), signing_address: Type.String(), signing_algo: Type.Union([Type.Literal('ecdsa'), Type.Literal('ed25519')]) }),
      },
      async handle(ctx, { params, query }) {
        // Per user: a signature made on first request costs a signing operation.
        await takeRate(deps.db, deps.clock, `attestation:user:${ctx.state.principal!.userId}`, deps.signaturesPerMinute, 'Too many signature requests; try again later.');
        const algo = query.signing_algo ?? 'ecdsa';
        const keys = attestation.keys;
        const row = keys ? await findSignature(deps.db, params.id, ctx.state.principal!.userId, deps.clock.now()) : null;
        if (!row || !keys) throw new AppError('not_found', `No signature found for id '${params.id}'.`, { param: 'id' });
        const k = await keys();
        let signature = algo === 'ecdsa' ? row.ecdsa_signature : row.ed25519_signature;
        if (signature === null) {
          signature = k.sign(algo, row.text);
          await saveSignature(deps.db, row.object_id, ctx.state.principal!.userId, row.text, algo, signature);
        }
        ctx.body = { text: row.text, signature, signing_address: k.address(algo), signing_algo: algo };
      },
    }),
  ];
}
