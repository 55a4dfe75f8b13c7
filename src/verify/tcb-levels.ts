// TCB level matching for TDX, following Intel's "TDX TCB status" rules (as in Intel's QVL):
// the platform level is the first TCB level whose SGX components and PCE SVN (from the PCK
// certificate) and TDX components (TEE_TCB_SVN from the quote) are all >= the level's; for
// TDX module major version > 0 the module's own identity decides bytes 0..1 of TEE_TCB_SVN.
// The QE's level comes from the QE identity. The final status is the worst of the three.
import { bytesToHex } from '../tdx/bytes.ts';
import type { EnclaveReport, TdReportBody } from '../tdx/quote-parse.ts';
import type { PckExtensions } from './pck-extensions.ts';

interface Svn { svn: number }
interface TcbLevel {
  tcb: { sgxtcbcomponents?: Svn[]; pcesvn?: number; tdxtcbcomponents?: Svn[]; isvsvn?: number };
  tcbDate?: string;
  tcbStatus: string;
  advisoryIDs?: string[];
}
interface ModuleIdentity { id: string; mrsigner: string; attributes: string; attributesMask: string; tcbLevels: TcbLevel[] }

/** The TDX TCB info JSON (Intel PCS v4, version 3). */
export interface TdxTcbInfo {
  id: string;
  version: number;
  issueDate: string;
  nextUpdate: string;
  fmspc: string;
  pceId: string;
  tdxModule?: { mrsigner: string; attributes: string; attributesMask: string };
  tdxModuleIdentities?: ModuleIdentity[];
  tcbLevels: TcbLevel[];
}

/** The TD QE identity JSON. */
export interface QeIdentity {
  id: string;
  version: number;
  issueDate: string;
  nextUpdate: string;
  miscselect: string;
  miscselectMask: string;
  attributes: string;
  attributesMask: string;
  mrsigner: string;
  isvprodid: number;
  tcbLevels: TcbLevel[];
}

/** Outcome of level matching. */
export type TcbMatch = { ok: true; status: string; advisoryIds: string[]; parts: string } | { ok: false; detail: string };

const RANK = ['UpToDate', 'SWHardeningNeeded', 'ConfigurationNeeded', 'ConfigurationAndSWHardeningNeeded', 'OutOfDate', 'OutOfDateConfigurationNeeded', 'Revoked'];

/** The worse of two TCB statuses (unknown statuses count as worst). */
export function worseStatus(a: string, b: string): string {
  const ra = RANK.indexOf(a);
  const rb = RANK.indexOf(b);
  return (ra < 0 ? 99 : ra) >= (rb < 0 ? 99 : rb) ? a : b;
}

function maskedEqual(value: Uint8Array, expectedHex: string, maskHex: string): boolean {
  const exp = expectedHex.toLowerCase();
  const mask = maskHex.toLowerCase();
  if (exp.length !== value.length * 2 || mask.length !== exp.length) return false;
  for (let i = 0; i < value.length; i++) {
    const m = parseInt(mask.slice(i * 2, i * 2 + 2), 16);
    if (((value[i] as number) & m) !== (parseInt(exp.slice(i * 2, i * 2 + 2), 16) & m)) return false;
  }
  return true;
}

function leqAll(levels: Svn[] | undefined, actual: ArrayLike<number>, skip = 0): boolean {
  if (!levels || levels.length !== 16) return false;
  for (let i = skip; i < 16; i++) if ((levels[i] as Svn).svn > (actual[i] as number)) return false;
  return true;
}

/** Match the platform, TDX module and QE against TCB info and QE identity. */
export function matchTcb(tcbInfo: TdxTcbInfo, qeIdentity: QeIdentity, pck: PckExtensions, body: TdReportBody, qe: EnclaveReport): TcbMatch {
  if (tcbInfo.id !== 'TDX' || tcbInfo.version < 3) return { ok: false, detail: `TCB info is ${tcbInfo.id} v${tcbInfo.version}, not TDX v3` };
  if (tcbInfo.fmspc.toLowerCase() !== pck.fmspc) return { ok: false, detail: `TCB info is for FMSPC ${tcbInfo.fmspc}, the PCK certificate says ${pck.fmspc}` };
  if (tcbInfo.pceId.toLowerCase() !== pck.pceId) return { ok: false, detail: `TCB info PCE id ${tcbInfo.pceId} differs from the PCK certificate's ${pck.pceId}` };
  if (tcbInfo.tdxModule && !maskedEqual(body.mrSignerSeam, tcbInfo.tdxModule.mrsigner, 'ff'.repeat(48))) return { ok: false, detail: 'MRSIGNERSEAM is not the TDX module signer in the TCB info' };
  if (tcbInfo.tdxModule && !maskedEqual(body.seamAttributes, tcbInfo.tdxModule.attributes, tcbInfo.tdxModule.attributesMask)) return { ok: false, detail: 'SEAM attributes do not match the TCB info' };

  const svn = body.teeTcbSvn;
  let moduleStatus = 'UpToDate';
  let skipBytes = 0;
  const major = svn[1] as number;
  if (tcbInfo.tdxModuleIdentities && major > 0) {
    const id = `TDX_${major.toString(16).padStart(2, '0').toUpperCase()}`;
    const ident = tcbInfo.tdxModuleIdentities.find((m) => m.id === id);
    if (!ident) return { ok: false, detail: `no TDX module identity ${id} in the TCB info` };
    if (!maskedEqual(body.mrSignerSeam, ident.mrsigner, 'ff'.repeat(48))) return { ok: false, detail: `MRSIGNERSEAM does not match module identity ${id}` };
    if (!maskedEqual(body.seamAttributes, ident.attributes, ident.attributesMask)) return { ok: false, detail: `SEAM attributes do not match module identity ${id}` };
    const lvl = ident.tcbLevels.find((l) => (l.tcb.isvsvn ?? Infinity) <= (svn[0] as number));
    if (!lvl) return { ok: false, detail: `TDX module ${id} SVN ${svn[0]} is below every level in the TCB info` };
    moduleStatus = lvl.tcbStatus;
    skipBytes = 2;
  }

  const level = tcbInfo.tcbLevels.find((l) =>
    leqAll(l.tcb.sgxtcbcomponents, pck.cpuSvnComponents) && (l.tcb.pcesvn ?? Infinity) <= pck.pceSvn && leqAll(l.tcb.tdxtcbcomponents, svn, skipBytes));
  if (!level) return { ok: false, detail: `platform TCB (CPU SVN ${pck.cpuSvnComponents.join('.')}, PCE SVN ${pck.pceSvn}, TEE TCB SVN ${bytesToHex(svn)}) matches no TCB level` };

  if (qeIdentity.id !== 'TD_QE') return { ok: false, detail: `QE identity is ${qeIdentity.id}, not TD_QE` };
  if (qeIdentity.mrsigner.toLowerCase() !== bytesToHex(qe.mrSigner)) return { ok: false, detail: 'QE MRSIGNER is not the one in the QE identity' };
  if (qeIdentity.isvprodid !== qe.isvProdId) return { ok: false, detail: `QE ISV product id ${qe.isvProdId} is not ${qeIdentity.isvprodid}` };
  const misc = Uint8Array.of(qe.miscSelect >>> 24, (qe.miscSelect >>> 16) & 0xff, (qe.miscSelect >>> 8) & 0xff, qe.miscSelect & 0xff);
  if (!maskedEqual(misc, qeIdentity.miscselect, qeIdentity.miscselectMask)) return { ok: false, detail: 'QE MISCSELECT does not match the QE identity' };
  if (!maskedEqual(qe.attributes, qeIdentity.attributes, qeIdentity.attributesMask)) return { ok: false, detail: 'QE attributes do not match the QE identity' };
  const qeLevel = qeIdentity.tcbLevels.find((l) => (l.tcb.isvsvn ?? Infinity) <= qe.isvSvn);
  if (!qeLevel) return { ok: false, detail: `QE ISV SVN ${qe.isvSvn} is below every level in the QE identity` };

  const status = worseStatus(worseStatus(level.tcbStatus, moduleStatus), qeLevel.tcbStatus);
  return {
    ok: true,
    status,
    advisoryIds: [...(level.advisoryIDs ?? []), ...(qeLevel.advisoryIDs ?? [])],
    parts: `platform ${level.tcbStatus} (${level.tcbDate ?? '?'}), TDX module ${moduleStatus}, QE ${qeLevel.tcbStatus}`,
  };
}
