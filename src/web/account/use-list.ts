// Loads a `{ data: [...] }` list from the API and reloads it on demand.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from '../api/http.ts';
import { describeError } from '../api/explain-error.ts';

export function useList<T>(path: string): { items: T[] | null; error: string | null; reload(): Promise<void> } {
  const [items, setItems] = useState<T[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      const res = await api<{ data: T[] } | T[]>(path);
      setItems(Array.isArray(res) ? res : res.data);
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, [path]);
  useEffect(() => { void reload(); }, [reload]);
  return { items, error, reload };
}

/** Unix seconds or ISO string → local date-time text. */
export function when(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  const d = typeof v === 'number' ? new Date(v * 1000) : new Date(String(v));
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString();
}

/** Runs an action, reporting its error in the given setter. */
export async function attempt(setError: (e: string | null) => void, fn: () => Promise<unknown>): Promise<boolean> {
  setError(null);
  try {
    await fn();
    return true;
  } catch (e) {
    setError(describeError(e));
    return false;
  }
}
