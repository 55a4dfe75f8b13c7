// Bodies may name other upstream objects besides the checked fields: file ids, vector stores,
// item references. Under one shared upstream key those would reach other users' data, and
// Cloister tracks no owner for them, so they are refused.
import { AppError } from '../errors.ts';

const MAX_DEPTH = 64;
const REFERENCE_KEYS = new Set(['file_id', 'vector_store_ids', 'file_ids']);

/** The first unchecked reference under `value`: its path and whether it is an item_reference; null when none. */
function findReference(value: unknown, depth: number): { path: Array<string | number>; item: boolean } | null {
  if (depth > MAX_DEPTH) throw new AppError('invalid_request', 'The request body is nested too deeply.');
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findReference(value[i], depth + 1);
      if (found) {
        found.path.unshift(i);
        return found;
      }
    }
    return null;
  }
  const o = value as Record<string, unknown>;
  if (o.type === 'item_reference') return { path: [], item: true };
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    if (REFERENCE_KEYS.has(k) && v !== null && v !== undefined) return { path: [k], item: false };
    const found = findReference(v, depth + 1);
    if (found) {
      found.path.unshift(k);
      return found;
    }
  }
  return null;
}

/** `messages[0].content[1].file_id`: the path as the `param` of an error. */
function paramOf(path: ReadonlyArray<string | number>): string | null {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? null : out;
}

/** Throws 400 when a request body references upstream objects Cloister cannot ownership-check. */
export function assertNoUncheckedReferences(value: unknown): void {
  // The walk builds no path strings; only a refused body pays for naming where the reference is.
  const found = findReference(value, 0);
  if (!found) return;
  if (found.item) {
    throw new AppError('invalid_request', 'item_reference inputs are not supported through this proxy; send the item content instead.', { param: paramOf(found.path) });
  }
  const key = String(found.path.at(-1));
  throw new AppError('invalid_request', `${key} references are not supported through this proxy.`, { param: paramOf(found.path) });
}
