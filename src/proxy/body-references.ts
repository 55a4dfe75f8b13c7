// Bodies may name other upstream objects besides the checked fields: file ids, vector stores,
// item references. Under one shared upstream key those would reach other users' data, and
// Cloister tracks no owner for them, so they are refused.
import { AppError } from '../errors.ts';

const MAX_DEPTH = 64;

/** Throws 400 when a request body references upstream objects Cloister cannot ownership-check. */
export function assertNoUncheckedReferences(value: unknown, path = '', depth = 0): void {
  if (depth > MAX_DEPTH) throw new AppError('invalid_request', 'The request body is nested too deeply.');
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertNoUncheckedReferences(v, `${path}[${i}]`, depth + 1));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  if (o.type === 'item_reference') {
    throw new AppError('invalid_request', 'item_reference inputs are not supported through this proxy; send the item content instead.', { param: path || null });
  }
  for (const [k, v] of Object.entries(o)) {
    if ((k === 'file_id' || k === 'vector_store_ids' || k === 'file_ids') && v !== null && v !== undefined) {
      throw new AppError('invalid_request', `${k} references are not supported through this proxy.`, { param: path ? `${path}.${k}` : k });
    }
    assertNoUncheckedReferences(v, path ? `${path}.${k}` : k, depth + 1);
  }
}
