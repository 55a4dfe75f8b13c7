// The default verification policy, the same object as attestation/verify-policy.json (a test
// keeps them equal). Embedded so the verifier works offline and in the browser.
import { parsePolicy, type VerifyPolicy } from './policy.ts';

/** attestation/verify-policy.json, as JSON. */
export const DEFAULT_POLICY_JSON = {
  "description": "Cloister's default verification policy: Intel TCB UpToDate only, the dstack OS Cloister targets (dstack-0.6.0), no application pins (add your release's compose hash and image digest). Same as src/verify/default-policy.ts; format in attestation/README.md.",
  "tcb": {
    "allowed_statuses": [
      "UpToDate"
    ],
    "allowed_advisory_ids": []
  },
  "os": {
    "measurements": [
      {
        "name": "dstack-0.6.0 (TDX lite, OVMF pre202505), 2 vCPU, 2 GiB, QEMU 8.2.2",
        "mrtd": "fd685522ce791dfef67414614eb07d03fc07a32c5a66f36288b329dab92b724b1564c73d436ffb9ea84488c51ac5a1c5",
        "rtmr0": "f8438db36b96f85d8752ff7f24a89ec05c79ec9eda2ba732c897fb970ca429365b7471b1c054cb84f17b1c2b23ba6640",
        "rtmr1": "2023546e7f3b9d1228e274f70c44d481162540f8452544520a796a52f06879709b81a824a26792a7822327504b0d2aee",
        "rtmr2": "4c1b739ed451a637b0f82642e48a5ea83925d23633c72e7385c8e9aca4175e133ed1625b7d92eb39edf509c27ff392dc",
        "os_image_hashes": [
          "e6f5cfec20c02e7b97baa213d0f718020b55e040172d90ccbcb946d56c8b09db",
          "07a2388c7a6a1b6a646d443f1517990a4ec294471d63146cda9d56972765051d"
        ],
        "source": "Intel-signed quote Dstack-TEE/dstack dstack/verifier/fixtures/tdx-lite-getquote.json (image dstack-0.6.0). MRTD = tdvf.mrtd.two_pass of the image's measurement.tdx.cbor (vm_config.tdx_measurement), whose sha256 is listed in sha256sum.txt, whose sha256 is os_image_hash e6f5cfec...; RTMR1/RTMR2 replay from events whose digests are that document's kernel_authenticode, cmdline_sha384 and initrd_sha384; 07a2388c... is the measured os-image-hash RTMR3 event. Re-derive: dstack-mr measure --cpu 2 --memory 2G --qemu-version 8.2.2 on the dstack-0.6.0 image (attestation/README.md)."
      }
    ]
  },
  "app": {
    "compose_hashes": [],
    "image_digests": []
  },
  "require": []
} as const;

/** The default policy, parsed. */
export function defaultPolicy(): VerifyPolicy {
  return parsePolicy(structuredClone(DEFAULT_POLICY_JSON));
}
