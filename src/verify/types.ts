// Types of the auditor's verification library: the report it reads (Cloister's
// GET /v1/attestation/report body), its options, and the checks it returns.

/** Stable check ids, in the order they are reported. */
export const CHECK_IDS = [
  'quote.parse',
  'quote.signature',
  'quote.qe_report',
  'quote.pck_chain',
  'quote.td_attributes',
  'quote.tcb',
  'report_data.binding',
  'report_data.nonce',
  'os.measurements',
  'event_log.replay',
  'app_compose.hash',
  'app_compose.mrconfigid',
  'app_compose.images_pinned',
  'signature.response',
  'simulated',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];
export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One check's outcome. Any failed check fails the verdict; a skipped one does when it is `required`. */
export interface Check {
  id: CheckId;
  status: CheckStatus;
  detail: string;
  /** Named by --require or the policy's "require": it must run, a skip fails the verdict. */
  required: boolean;
  /** For a skip: the short reason the verdict line gives. */
  brief?: string;
}

/** The verdict: ok when no check failed and every required check ran. */
export interface VerifyResult {
  ok: boolean;
  /** One line: "PASS …", naming every skipped check, or "FAIL — …". */
  verdict: string;
  checks: Check[];
  /** TCB status from collateral (e.g. "UpToDate"), when the TCB level was matched. */
  tcbStatus?: string;
  /** Intel advisories of that TCB level (printed whatever the status). */
  advisoryIds?: string[];
}

/** dstack Info as carried in the report (only the fields the verifier reads are typed). */
export interface DstackInfo {
  app_id?: string;
  instance_id?: string;
  compose_hash?: string;
  os_image_hash?: string;
  key_provider_info?: string;
  tcb_info?: {
    mrtd?: string;
    rtmr0?: string;
    rtmr1?: string;
    rtmr2?: string;
    rtmr3?: string;
    app_compose?: string;
    [k: string]: unknown;
  } | string;
  [k: string]: unknown;
}

/** Cloister's own attestation (`gateway_attestation`). */
export interface GatewayAttestation {
  signing_address: string;
  signing_algo: 'ecdsa' | 'ed25519' | string;
  request_nonce?: string;
  report_data?: string;
  tls_cert_fingerprint?: string | null;
  intel_quote: string;
  event_log?: unknown;
  vm_config?: unknown;
  /** MRCONFIGID v3's document, when the host does not carry it in vm_config.mr_config. */
  mr_config?: string;
  info?: DstackInfo;
  build?: unknown;
  simulated?: boolean;
}

/** The body of GET /v1/attestation/report. */
export interface AttestationReport {
  gateway_attestation: GatewayAttestation;
  model_attestations?: unknown;
  upstream_error?: string;
}

/** Collateral in dcap-qvl's JSON shape (as served by a PCCS, hex for DER CRLs). */
export interface Collateral {
  pck_crl_issuer_chain: string;
  root_ca_crl: string;
  pck_crl: string;
  tcb_info_issuer_chain: string;
  tcb_info: string;
  tcb_info_signature: string;
  qe_identity_issuer_chain: string;
  qe_identity: string;
  qe_identity_signature: string;
}

/** What GET /v1/signature/{id} returns. */
export interface ResponseSignature {
  text: string;
  signature: string;
  signing_address: string;
  signing_algo: string;
}

/** Options of verifyReport. */
export interface VerifyOptions {
  /** What is acceptable (TCB statuses, OS measurements, app pins, required checks); default: DEFAULT_POLICY. */
  policy?: VerifyPolicy;
  /** Checks that must not be skipped, besides the policy's. */
  require?: readonly CheckId[];
  /** The nonce the auditor sent (64 hex); without it freshness is not checked. */
  nonce?: string;
  /** Trusted root certificates (DER); default: the pinned Intel SGX Root CA. */
  trustedRoots?: Uint8Array[];
  /** Collateral for quote.tcb; without it that check is skipped. */
  collateral?: Collateral;
  /** Time at which certificates, CRLs and collateral are evaluated (default: now). */
  at?: Date;
  /** The app-compose the auditor expects (exact text) … */
  appCompose?: string;
  /** … or its sha256 (hex). */
  composeHash?: string;
  /** An image digest (`sha256:…` or `name@sha256:…`) that must be among the compose's images. */
  imageDigest?: string;
  /** Accept a report that says `simulated: true` (and its simulated root CA). */
  allowSimulated?: boolean;
  /** A response signature and the exact bytes the client sent and received. */
  responseSignature?: ResponseSignature;
  requestBytes?: Uint8Array;
  responseBytes?: Uint8Array;
}

/** One trusted dstack OS: its measurements for one VM shape. */
export interface OsMeasurement {
  name: string;
  /** 48-byte hex registers. */
  mrtd: string;
  rtmr0: string;
  rtmr1: string;
  rtmr2: string;
  /** Every os_image_hash a report of this OS may claim (measured os-image-hash event, vm_config, Info); empty: not checked. */
  os_image_hashes: string[];
  /** Where the values come from and how to re-derive them. */
  source?: string;
}

/** A parsed policy; hex is lower case without 0x. */
export interface VerifyPolicy {
  description?: string;
  tcb: { allowed_statuses: string[]; allowed_advisory_ids: string[] };
  os: { measurements: OsMeasurement[] };
  app: { compose_hashes: string[]; image_digests: string[] };
  require: CheckId[];
}
