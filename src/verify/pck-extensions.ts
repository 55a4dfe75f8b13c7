// Intel SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1): the platform's TCB
// (16 CPU SVN components + PCE SVN), PCE id and FMSPC, which select the TCB level.
import type { x509 } from './x509.ts';
import { derChildren, derOid, derUint, readDer } from './der.ts';
import { bytesToHex } from '../tdx/bytes.ts';

const SGX_EXT = '1.2.840.113741.1.13.1';

/** Values read from the PCK certificate's SGX extension. */
export interface PckExtensions {
  fmspc: string;
  pceId: string;
  /** SGX TCB components 1..16. */
  cpuSvnComponents: number[];
  pceSvn: number;
}

/** Read FMSPC, PCE id, CPU SVN components and PCE SVN from a PCK certificate. */
export function readPckExtensions(cert: InstanceType<typeof x509.X509Certificate>): PckExtensions {
  const ext = cert.getExtension(SGX_EXT);
  if (!ext) throw new Error('PCK certificate has no SGX extension (1.2.840.113741.1.13.1)');
  const top = readDer(new Uint8Array(ext.value));
  let fmspc: string | undefined;
  let pceId: string | undefined;
  let pceSvn: number | undefined;
  const comps: number[] = [];
  for (const entry of derChildren(top.value)) {
    const [oidNode, val] = derChildren(entry.value);
    if (!oidNode || !val) continue;
    const oid = derOid(oidNode.value);
    if (oid === `${SGX_EXT}.4`) fmspc = bytesToHex(val.value);
    else if (oid === `${SGX_EXT}.3`) pceId = bytesToHex(val.value);
    else if (oid === `${SGX_EXT}.2`) {
      for (const t of derChildren(val.value)) {
        const [o, v] = derChildren(t.value);
        if (!o || !v) continue;
        const sub = derOid(o.value).slice(`${SGX_EXT}.2.`.length);
        const idx = Number(sub);
        if (idx >= 1 && idx <= 16) comps[idx - 1] = derUint(v.value);
        else if (idx === 17) pceSvn = derUint(v.value);
      }
    }
  }
  if (fmspc === undefined || pceId === undefined || pceSvn === undefined || comps.filter((c) => c !== undefined).length !== 16) {
    throw new Error('PCK certificate SGX extension lacks FMSPC, PCE id or TCB components');
  }
  return { fmspc, pceId, cpuSvnComponents: comps, pceSvn };
}
