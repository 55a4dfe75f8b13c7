// The model names usage rows may carry. The `model` of a request is whatever the user typed, and
// a usage row is kept for months: a name goes into one only when upstream lists it (GET /models)
// or the operator allows it (USAGE_MODEL_NAMES); anything else is recorded as `other`. The list
// is held in memory and refreshed in the background (MODEL_LIST_REFRESH_SECONDS; sooner after
// a failure), so naming a request's model is a set lookup and never a round trip. Until the
// first list arrives, only the operator's names are known.
import { randomUUID } from 'node:crypto';
import type { Cancel, Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { UpstreamClient } from '../upstream/client.ts';
import type { ModelObject } from '../shared/model-policy.ts';
import { parseObject } from './answer.ts';

/** What usage rows say for a model nobody listed. */
export const OTHER_MODEL = 'other';
/** At most this many names are kept from upstream's list, each at most MAX_NAME characters. */
const MAX_MODELS = 10_000;
const MAX_NAME = 200;
/** How long one fetch of the list may take. */
const FETCH_TIMEOUT_MS = 10_000;
/** After a failed fetch, the next try comes this soon (or at the refresh interval, if sooner). */
const RETRY_MS = 30_000;

export interface ModelNames {
  /** the name a usage row carries for a requested model: itself when listed, else `other` */
  usageName(model: string | null): string;
  /** upstream's model objects as last fetched (empty until the first list arrives) */
  known(): readonly ModelObject[];
  /** settles when the first fetch of the list has ended, well or not (requests never wait for it) */
  readonly firstLoad: Promise<void>;
  /** fetches the list now (what the timer does) */
  refresh(): Promise<void>;
  /** stops refreshing */
  close(): void;
}

/** The models of a GET /models answer (`{"data":[{"id":...}]}`), or null when it is not one. */
export function modelObjectsOf(body: Buffer): ModelObject[] | null {
  const parsed = parseObject(body.toString('utf8'));
  if (parsed === null || !Array.isArray(parsed.data)) return null;
  const models: ModelObject[] = [];
  for (const m of parsed.data as unknown[]) {
    const id = m !== null && typeof m === 'object' && !Array.isArray(m) ? (m as { id?: unknown }).id : undefined;
    if (typeof id === 'string' && id.length > 0 && id.length <= MAX_NAME) models.push(m as ModelObject);
    if (models.length >= MAX_MODELS) break;
  }
  return models;
}

/** Starts keeping the model list (the first fetch begins at once when an upstream is configured). */
export function createModelNames(deps: {
  upstream: UpstreamClient; logger: Logger; clock: Clock;
  /** how often the list is fetched again */
  refreshMs: number;
  /** names the operator allows besides upstream's list */
  allowed: readonly string[];
  /** ALLOWED_MODELS: each one upstream does not list is named in a warning (people could pick it and fail) */
  expected?: readonly string[] | null;
}): ModelNames {
  const { upstream, logger } = deps;
  const allowed = new Set(deps.allowed);
  let listed: ReadonlyMap<string, ModelObject> = new Map();
  let timer: Cancel | null = null;
  let closed = false;
  let inFlight: Promise<void> | null = null;

  const schedule = (ms: number) => {
    if (closed) return;
    timer?.();
    timer = deps.clock.after(ms, () => { void refresh(); });
  };

  async function load(): Promise<void> {
    let ok = false;
    try {
      const answer = await upstream.fetch(
        { method: 'GET', path: '/models', clientHeaders: {}, requestId: randomUUID() },
        { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) },
      );
      const models = answer.status >= 200 && answer.status < 300 ? modelObjectsOf(answer.body) : null;
      if (models === null) {
        logger.warn({ event: 'models.list_failed', status: answer.status });
      } else {
        listed = new Map(models.map((m) => [m.id, m]));
        ok = true;
        const missing = (deps.expected ?? []).filter((m) => !listed.has(m));
        if (missing.length > 0) logger.warn({ event: 'models.allowed_not_listed', models: missing });
      }
    } catch (e) {
      logger.warn({ event: 'models.list_failed', err: { type: (e as Error).name, code: (e as { code?: string }).code } });
    }
    schedule(ok ? deps.refreshMs : Math.min(deps.refreshMs, RETRY_MS));
  }

  function refresh(): Promise<void> {
    if (!upstream.configured || closed) return Promise.resolve();
    // One fetch at a time: a refresh asked for while one runs shares it.
    inFlight ??= load().finally(() => { inFlight = null; });
    return inFlight;
  }

  const firstLoad = refresh();
  return {
    usageName(model) {
      if (model === null) return OTHER_MODEL;
      return listed.has(model) || allowed.has(model) ? model : OTHER_MODEL;
    },
    known: () => [...listed.values()],
    firstLoad,
    refresh,
    close() {
      closed = true;
      timer?.();
      timer = null;
    },
  };
}
