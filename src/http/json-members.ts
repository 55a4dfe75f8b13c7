// One meaning per JSON body. Cloister reads a body with JSON.parse (where a repeated key's last
// value wins) but forwards the raw bytes, whose meaning then depends on the upstream's parser
// (first wins, last wins, or an error). So a body that repeats a key in any object is refused.
//
// No second parser: JSON.parse has already proved the text is JSON. In JSON text a ':' outside
// a string occurs only between a member's name and its value, so the text has as many members
// as such colons. The parsed value keeps one key per member unless a later member repeated a
// key (which replaced the earlier value, and with it every member inside that value). So the
// body repeats a key exactly when the parsed value holds fewer keys than the text has members.
// Counting needs no key strings, and the text is searched with String.prototype.indexOf (a V8
// builtin), not walked character by character in JavaScript: a fifth of the cost of JSON.parse
// on a 2 KB chat body (scripts/bench/body-checks.ts).
import { AppError } from '../errors.ts';

/** Deeper nesting than this is refused in every body (the reference walk recurses too). */
export const MAX_JSON_DEPTH = 64;

const BACKSLASH = 0x5c;

/**
 * The number of object members in valid JSON text (its colons outside strings). Linear: each
 * search starts where the previous one of its kind stopped, so no character is searched twice
 * for the same mark, whatever the mix of strings and colons.
 */
export function countJsonMembers(text: string): number {
  let members = 0;
  let colon = text.indexOf(':');
  let open = text.indexOf('"');
  while (colon !== -1) {
    if (open === -1 || colon < open) {
      // A colon before the next string is a member separator.
      members++;
      colon = text.indexOf(':', colon + 1);
      continue;
    }
    // Skip the string: its end is the first quote after an even run of backslashes.
    let close = text.indexOf('"', open + 1);
    for (;;) {
      if (close === -1) return members; // unterminated: not JSON (the parser has already said so)
      let slashes = 0;
      for (let k = close - 1; text.charCodeAt(k) === BACKSLASH; k--) slashes++;
      if ((slashes & 1) === 0) break;
      close = text.indexOf('"', close + 1);
    }
    open = text.indexOf('"', close + 1);
    if (colon < close) colon = text.indexOf(':', close + 1);
  }
  return members;
}

/** The keys held by a parsed JSON value, all levels; throws past MAX_JSON_DEPTH. */
export function countParsedKeys(value: unknown, depth = 0): number {
  if (depth > MAX_JSON_DEPTH) throw new AppError('invalid_json', 'The request body is nested too deeply.');
  let keys = 0;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'object' && v !== null) keys += countParsedKeys(v, depth + 1);
    }
    return keys;
  }
  const o = value as Record<string, unknown>;
  // JSON.parse makes every member an own enumerable property, "__proto__" included.
  for (const k in o) {
    keys++;
    const v = o[k];
    if (typeof v === 'object' && v !== null) keys += countParsedKeys(v, depth + 1);
  }
  return keys;
}

/** Throws 400 when `text` (valid JSON text, parsed into `parsed`) repeats a key in any object. */
export function assertNoDuplicateKeys(text: string, parsed: object): void {
  const kept = countParsedKeys(parsed);
  if (kept !== countJsonMembers(text)) {
    throw new AppError('invalid_json', 'The JSON body repeats a key in one object; send each key once.');
  }
}
