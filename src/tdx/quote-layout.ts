// Byte layout of Intel TDX DCAP quotes (v4 and v5), from Intel's "TDX DCAP Quoting Library
// API" spec and checked against the real quotes in shared/fixtures/attestation. All integers
// are little-endian. Offsets for the TD report body are relative to the body start, which is
// byte 48 in a v4 quote (so MRTD is at 48 + 136 = 184) and byte 54 in a v5 quote.

/** Quote header length (version, key type, TEE type, reserved, QE vendor id, user data). */
export const HEADER_LEN = 48;
/** TD report body of TDX 1.0 (quote v4, or v5 body type 2). */
export const TD_REPORT10_LEN = 584;
/** TD report body of TDX 1.5 (v5 body type 3): TDX 1.0 body + TEE_TCB_SVN2 (16) + MRSERVICETD (48). */
export const TD_REPORT15_LEN = 648;
/** SGX enclave report (the QE report inside the certification data). */
export const ENCLAVE_REPORT_LEN = 384;
/** Raw P-256 r‖s signature. */
export const ECDSA_SIG_LEN = 64;
/** Raw P-256 public key x‖y (no 0x04 prefix). */
export const ECDSA_KEY_LEN = 64;

export const TEE_TYPE_TDX = 0x81;
export const TEE_TYPE_SGX = 0x00;
/** Attestation key type 2 = ECDSA-256 with P-256. */
export const ATT_KEY_TYPE_ECDSA_P256 = 2;
/** Intel's QE vendor id (939a7233-f79c-4ca9-940a-0db3957f0607). */
export const INTEL_QE_VENDOR_ID = '939a7233f79c4ca9940a0db3957f0607';

/** v5 body types. */
export const BODY_TYPE_SGX = 1;
export const BODY_TYPE_TD10 = 2;
export const BODY_TYPE_TD15 = 3;

/** Certification data types. */
export const CERT_TYPE_PCK_CHAIN = 5;
export const CERT_TYPE_QE_REPORT = 6;

/** Header field offsets. */
export const HEADER = {
  version: 0, // u16
  attestationKeyType: 2, // u16
  teeType: 4, // u32
  qeSvn: 8, // u16 (reserved for TDX)
  pceSvn: 10, // u16 (reserved for TDX)
  qeVendorId: 12, // 16 bytes
  userData: 28, // 20 bytes
} as const;

/** TD report body fields: [offset within the body, length]. */
export const TD_BODY = {
  teeTcbSvn: [0, 16],
  mrSeam: [16, 48],
  mrSignerSeam: [64, 48],
  seamAttributes: [112, 8],
  tdAttributes: [120, 8],
  xfam: [128, 8],
  mrTd: [136, 48],
  mrConfigId: [184, 48],
  mrOwner: [232, 48],
  mrOwnerConfig: [280, 48],
  rtmr0: [328, 48],
  rtmr1: [376, 48],
  rtmr2: [424, 48],
  rtmr3: [472, 48],
  reportData: [520, 64],
  // TDX 1.5 only:
  teeTcbSvn2: [584, 16],
  mrServiceTd: [600, 48],
} as const;

/** SGX enclave report (QE report) fields: [offset, length]. */
export const ENCLAVE_REPORT = {
  cpuSvn: [0, 16],
  miscSelect: [16, 4],
  attributes: [48, 16],
  mrEnclave: [64, 32],
  mrSigner: [128, 32],
  isvProdId: [256, 2],
  isvSvn: [258, 2],
  reportData: [320, 64],
} as const;
