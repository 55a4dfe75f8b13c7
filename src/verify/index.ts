// Public surface of src/verify, the auditor's library (pure; runs in Node and the browser).
export { verifyReport, gatewayOf, VerifyInputError } from './verify-report.ts';
export { verifyTextSignature, signedText, personalSignDigest } from './response-signature.ts';
export { signingAddressBytes, ethereumAddress } from './signing-address.ts';
export { intelSgxRootCa, INTEL_SGX_ROOT_CA_SHA256, INTEL_SGX_ROOT_CA_SUBJECT } from './intel-root.ts';
export { composeImages } from './compose-checks.ts';
export { parsePolicy, TCB_STATUSES } from './policy.ts';
export { defaultPolicy, DEFAULT_POLICY_JSON } from './default-policy.ts';
export { CHECK_IDS } from './types.ts';
export type { OsMeasurement, VerifyPolicy } from './policy.ts';
export type {
  AttestationReport, Check, CheckId, CheckStatus, Collateral, GatewayAttestation, ResponseSignature, VerifyOptions, VerifyResult,
} from './types.ts';
