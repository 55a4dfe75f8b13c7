// The dstack guest agent over its unix socket: HTTP with JSON bodies and hex for binary.
// One adapter interface, so dstack's newer `Attest` API can be added beside this legacy one.
import { existsSync } from 'node:fs';
import { Agent, request } from 'undici';
import { AppError } from '../errors.ts';

export interface DstackQuote {
  /** hex */
  readonly quote: string;
  /** the event log as dstack returns it (array, or a JSON string of one) */
  readonly event_log: unknown;
  readonly vm_config?: unknown;
}

export interface DstackInfo {
  readonly app_id?: string;
  readonly instance_id?: string;
  readonly compose_hash?: string;
  readonly os_image_hash?: string;
  readonly key_provider_info?: unknown;
  /** normalised to an object (dstack sends it as a JSON string) */
  readonly tcb_info: Record<string, unknown>;
  readonly [k: string]: unknown;
}

export interface Dstack {
  getQuote(reportData: Uint8Array): Promise<DstackQuote>;
  info(): Promise<DstackInfo>;
  getKey(path: string, purpose: string): Promise<Uint8Array>;
  /** Resolves when the agent answers (an uncached Info): the readiness probe. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Legacy sockets that mean an older dstack (tappd) rather than a missing one. */
export const LEGACY_TAPPD_SOCKET = '/var/run/tappd.sock';

/** Explains a missing socket, naming tappd when only the legacy socket exists. */
export function describeMissingSocket(socketPath: string): string | null {
  if (existsSync(socketPath)) return null;
  if (existsSync(LEGACY_TAPPD_SOCKET)) return `dstack socket ${socketPath} not found; only the legacy ${LEGACY_TAPPD_SOCKET} exists (dstack 0.3 tappd), which Cloister does not speak — upgrade dstack or mount the dstack socket`;
  return `dstack socket ${socketPath} not found`;
}

/** A client for the dstack socket at `socketPath`; Info is cached after the first success. */
export function createDstackClient(socketPath: string, options: { timeoutMs?: number } = {}): Dstack {
  const timeout = options.timeoutMs ?? 10_000;
  const dispatcher = new Agent({ connect: { socketPath }, headersTimeout: timeout, bodyTimeout: timeout });
  let cachedInfo: Promise<DstackInfo> | null = null;

  async function call(method: string, body: unknown): Promise<Record<string, unknown>> {
    try {
      const res = await request(`http://localhost/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), dispatcher });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`dstack ${method} answered ${res.statusCode}`);
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object') throw new Error(`dstack ${method} answered no object`);
      return parsed as Record<string, unknown>;
    } catch (e) {
      throw new AppError('attestation_unavailable', `dstack ${method} failed`, { cause: e });
    }
  }

  return {
    async getQuote(reportData) {
      const r = await call('GetQuote', { report_data: Buffer.from(reportData).toString('hex') });
      if (typeof r.quote !== 'string' || !/^(0x)?[0-9a-fA-F]+$/.test(r.quote)) throw new AppError('attestation_unavailable', 'dstack GetQuote returned no quote');
      return { quote: r.quote.replace(/^0x/, '').toLowerCase(), event_log: r.event_log ?? [], vm_config: r.vm_config };
    },
    info() {
      cachedInfo ??= call('Info', {}).then((r) => {
        const tcb = typeof r.tcb_info === 'string' ? JSON.parse(r.tcb_info) as Record<string, unknown> : (r.tcb_info as Record<string, unknown> | undefined) ?? {};
        return { ...r, tcb_info: tcb } as DstackInfo;
      }).catch((e: unknown) => { cachedInfo = null; throw e; });
      return cachedInfo;
    },
    async getKey(path, purpose) {
      const r = await call('GetKey', { path, purpose });
      if (typeof r.key !== 'string' || !/^(0x)?[0-9a-fA-F]{64,}$/.test(r.key)) throw new AppError('attestation_unavailable', 'dstack GetKey returned no key');
      return new Uint8Array(Buffer.from(r.key.replace(/^0x/, ''), 'hex'));
    },
    async ping() {
      await call('Info', {});
    },
    close: () => dispatcher.close(),
  };
}

/** The same client, telling `onFailure` about every call that fails (the readiness state listens). */
export function watchDstack(dstack: Dstack, onFailure: (e: unknown) => void): Dstack {
  const watch = <T>(p: Promise<T>): Promise<T> => p.catch((e: unknown) => { onFailure(e); throw e; });
  return {
    getQuote: (reportData) => watch(dstack.getQuote(reportData)),
    info: () => watch(dstack.info()),
    getKey: (path, purpose) => watch(dstack.getKey(path, purpose)),
    ping: () => watch(dstack.ping()),
    close: () => dstack.close(),
  };
}
