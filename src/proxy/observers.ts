// Two observers of one relay as one: each sees what it asked for, and the relay waits for both
// before the bytes that carried it go on. (A GET of a response both records the items it reveals
// and charges the usage it shows.)
import type { Observer, RelayOutcome } from './relay-types.ts';

/** Waits for both; undefined when neither returned a promise. */
function joined(a: Promise<void> | void, b: Promise<void> | void): Promise<void> | undefined {
  if (a && b) return Promise.all([a, b]).then(() => undefined);
  return a || b || undefined;
}

/** `a` and `b` as one observer. */
export function bothObservers(a: Observer, b: Observer): Observer {
  const wantsOf = (o: Observer, event: string | undefined, data: string) => o.wants === undefined || o.wants(event, data);
  return {
    hashResponse: a.hashResponse === true || b.hashResponse === true,
    onJson: (body) => joined(a.onJson?.(body), b.onJson?.(body)),
    wants: (event, data) => wantsOf(a, event, data) || wantsOf(b, event, data),
    // An event parsed for one of them goes to both: observers ignore what they do not look for.
    onEvent: (event, data) => joined(a.onEvent?.(event, data), b.onEvent?.(event, data)),
    ...(a.wantsChunk && b.wantsChunk ? { wantsChunk: (chunk: Buffer) => a.wantsChunk!(chunk) || b.wantsChunk!(chunk) } : {}),
    onFinish: (outcome: RelayOutcome) => joined(a.onFinish?.(outcome), b.onFinish?.(outcome)),
  };
}
