// Where things are in a JSON text, so signed parts can be kept byte for byte instead of being
// re-serialised: Intel's TCB info and QE identity (their signature covers the exact text) and a
// model provider's attestations (their own signatures stay checkable). Called only on text
// JSON.parse accepted; it refuses duplicate keys in the objects it maps, because JSON.parse keeps
// the last of them and a reader that keeps the first would see another document. Pure, so the
// browser verifier uses it too.

/** [start, end) of a JSON value in its text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

const WS = new Set([' ', '\t', '\n', '\r']);

function skipWs(t: string, i: number): number {
  while (i < t.length && WS.has(t[i] as string)) i++;
  return i;
}

function stringEnd(t: string, i: number): number {
  for (let j = i + 1; j < t.length; j++) {
    const c = t[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  throw new Error('unterminated string');
}

/** The end of the value starting at `i` (after whitespace). */
function valueEnd(t: string, i: number): number {
  const c = t[i];
  if (c === '"') return stringEnd(t, i);
  if (c === '{' || c === '[') {
    const close = c === '{' ? '}' : ']';
    let j = skipWs(t, i + 1);
    if (t[j] === close) return j + 1;
    for (;;) {
      if (c === '{') {
        j = skipWs(t, stringEnd(t, j));
        j = skipWs(t, j + 1); // ':'
      }
      j = skipWs(t, valueEnd(t, j));
      if (t[j] === close) return j + 1;
      j = skipWs(t, j + 1); // ','
    }
  }
  let j = i;
  while (j < t.length && !WS.has(t[j] as string) && t[j] !== ',' && t[j] !== '}' && t[j] !== ']') j++;
  if (j === i) throw new Error('expected a value');
  return j;
}

/** The members of the object spanning `span` in `t`: key → value span. Throws on a duplicate key. */
export function objectMembers(t: string, span: Span = { start: skipWs(t, 0), end: t.length }): Map<string, Span> {
  const out = new Map<string, Span>();
  let j = skipWs(t, span.start);
  if (t[j] !== '{') throw new Error('not an object');
  j = skipWs(t, j + 1);
  if (t[j] === '}') return out;
  for (;;) {
    const keyEnd = stringEnd(t, j);
    const key = JSON.parse(t.slice(j, keyEnd)) as string;
    j = skipWs(t, skipWs(t, keyEnd) + 1);
    const end = valueEnd(t, j);
    if (out.has(key)) throw new Error(`duplicate key "${key}"`);
    out.set(key, { start: j, end });
    j = skipWs(t, end);
    if (t[j] === '}') return out;
    j = skipWs(t, j + 1);
  }
}

/** The element spans of the array spanning `span` in `t`. */
export function arrayElements(t: string, span: Span): Span[] {
  const out: Span[] = [];
  let j = skipWs(t, span.start);
  if (t[j] !== '[') throw new Error('not an array');
  j = skipWs(t, j + 1);
  if (t[j] === ']') return out;
  for (;;) {
    const end = valueEnd(t, j);
    out.push({ start: j, end });
    j = skipWs(t, end);
    if (t[j] === ']') return out;
    j = skipWs(t, j + 1);
  }
}
