// Walks a JSON body against an allow-list of the shapes Cloister understands, to find every
// field that names an upstream object. Under one shared upstream key such a field would let a
// user act on anyone's object, so each one is either collected (to be checked against its
// recorded owner) or refused. A shape says what each known field is: plain data, a reference
// of some kind, a nested shape, or opaque user data (JSON schemas, metadata maps: user-chosen
// key names that are never references). What no shape describes — an unknown field, an unknown
// `type`, a value of another JSON type than described — is walked "fail closed": any key that
// reads like a reference (`id`, `…_id`, `…_ids`, `container`, `file`, …) and any string that
// reads like an upstream id (`msg_…`, `cntr_…`, `file-…`) is refused.
//
// The same shapes run the other way on upstream's answers (`collect`): the references in the
// items upstream shows a user are recorded as that user's, so that what the check would ask
// about in an item passed back is exactly what was recorded when it was revealed.
import { AppError } from '../errors.ts';
import { MAX_JSON_DEPTH } from '../http/json-members.ts';

/** Kinds Cloister records owners for: a reference of these kinds is checked. */
export type CheckedKind = 'conversation' | 'response' | 'item' | 'container' | 'file';
/** Kinds no owner is ever recorded for: a reference of these kinds is refused. */
export type RefusedKind = 'vector_store' | 'prompt' | 'audio' | 'voice' | 'skill' | 'tunnel';

/** A reference found in a body: what it names and where (`param`, as OpenAI names fields). */
export interface Reference {
  readonly kind: CheckedKind;
  readonly id: string;
  readonly param: string;
}

/** Describes one JSON value; reports what it finds to the walk. */
export type Shape = (value: unknown, walk: Walk) => void;

const REFUSED_BECAUSE: Record<RefusedKind, string> = {
  vector_store: 'Vector stores cannot be used through this proxy: under its one shared upstream key it cannot tell whose they are.',
  prompt: 'Stored prompts cannot be used through this proxy: under its one shared upstream key it cannot tell whose they are. Send the instructions instead.',
  audio: 'Earlier audio answers cannot be referenced by id through this proxy; send their transcript as the assistant message content.',
  voice: 'Custom voices cannot be used through this proxy; name a built-in voice.',
  skill: 'Stored skills cannot be used through this proxy; send the skill inline.',
  tunnel: 'MCP tunnels cannot be used through this proxy; give the server_url instead.',
};

/** Client-side correlation ids: they match a call to its output, and name no upstream object. */
const CORRELATION_KEYS: ReadonlySet<string> = new Set(['call_id', 'tool_call_id']);
/** Keys that name an upstream object outside the `…_id` pattern. */
const REFERENCE_NOUNS: ReadonlySet<string> = new Set([
  'container', 'containers', 'file', 'files', 'vector_store', 'vector_stores', 'conversation',
  'previous_response', 'prompt', 'voice', 'skill', 'skills', 'tunnel', 'approval_request',
]);
/** Prefixes of the upstream object ids the routed APIs can name (OpenAI's, as its answers show them). */
const UPSTREAM_ID_SHAPE = /^(?:(?:resp|msg|rs|fc|ctc|ws|fs|ci|ig|mcp|mcpr|mcpl|lsh|cu|conv|cntr|cfile|vs|vsfb|pmpt|audio|voice|skill|upload|batch)_|(?:file|chatcmpl)-)[A-Za-z0-9]/i;

/**
 * A key as a lenient parser may read it: some match member names case-insensitively, a few
 * fold 'ſ' (U+017F) to 's' and the Kelvin sign to 'k' (toLowerCase already does that one), and
 * one reading C strings would stop at a NUL.
 */
export function foldKey(key: string): string {
  const nul = key.indexOf('\0');
  return (nul === -1 ? key : key.slice(0, nul)).toLowerCase().replaceAll('\u017f', 's');
}

/** Whether an unknown key reads like a reference (`id`, `…_id`, `…_ids`, or a reference noun). */
function isReferenceKey(key: string): boolean {
  const k = foldKey(key);
  if (CORRELATION_KEYS.has(k)) return false;
  return k === 'id' || k === 'ids' || k.endsWith('_id') || k.endsWith('_ids') || k.endsWith('-id') || REFERENCE_NOUNS.has(k);
}

/**
 * What a walk is for: `check` a request body (a refusal throws the 400), `collect` what upstream
 * revealed (nothing is refused), or `audit` the shapes themselves (tests: refusals and every
 * value no shape describes are listed instead of thrown).
 */
export type WalkMode = 'check' | 'collect' | 'audit';

/** One walk over one value: the path to where it is, and what it found. */
export class Walk {
  readonly mode: WalkMode;
  readonly found: Reference[] = [];
  /** audit only: fields refused, and values no shape describes */
  readonly refused: Array<{ param: string; message: string }> = [];
  readonly undescribed: string[] = [];
  private readonly path: Array<string | number> = [];
  private depth = 0;
  constructor(mode: WalkMode) {
    this.mode = mode;
  }

  /** `input[0].content[1].file_id`: the current position as the `param` of an error. */
  param(): string {
    let out = '';
    for (const p of this.path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
    return out;
  }

  /** Walks `value` at `step` below the current position. */
  at(step: string | number, value: unknown, shape: Shape): void {
    if (++this.depth > MAX_JSON_DEPTH) {
      this.depth--;
      if (this.mode === 'check') throw new AppError('invalid_request', 'The request body is nested too deeply.');
      return;
    }
    this.path.push(step);
    try {
      shape(value, this);
    } finally {
      this.path.pop();
      this.depth--;
    }
  }

  /** A reference of a kind Cloister checks. */
  reference(kind: CheckedKind, id: string): void {
    this.found.push({ kind, id, param: this.param() });
  }

  /** Refuses the request (400 naming the current field); ignored when collecting. */
  refuse(message: string): void {
    if (this.mode === 'check') throw new AppError('invalid_request', message, { param: this.param() || null });
    if (this.mode === 'audit') this.refused.push({ param: this.param(), message });
  }

  /** A value here that no shape describes (it is then walked fail closed). */
  undescribedValue(): void {
    if (this.mode === 'audit') this.undescribed.push(this.param());
  }
}

/** Plain data: scalars, or arrays of them. Anything else is walked fail closed. */
export const PLAIN: Shape = (v, w) => {
  if (v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (v[i] !== null && typeof v[i] === 'object') w.at(i, v[i], PLAIN);
    return;
  }
  FAIL_CLOSED(v, w);
};

/**
 * A URL upstream fetches from (image_url, file_url, server_url): plain, except a bare upstream
 * object id in its place, which an upstream might read as a reference.
 */
export const URL_FIELD: Shape = (v, w) => {
  if (typeof v === 'string') {
    if (UPSTREAM_ID_SHAPE.test(v)) w.refuse('This URL field holds an upstream object id, whose owner Cloister cannot check: refused.');
    return;
  }
  PLAIN(v, w);
};

/** User data that is never a reference and never read: JSON schemas, metadata, env maps. */
export const OPAQUE: Shape = () => {};

/**
 * Walks what no shape describes (`context` says what: an unknown field, an unknown type) and
 * refuses whatever reads like a reference in it.
 */
function failClosed(context: string): Shape {
  const refuseKey: Shape = (_v, w) => w.refuse(`This field may name an upstream object, and Cloister does not know ${context}, so it cannot check whose it is: refused.`);
  const walk: Shape = (v, w) => {
    if (typeof v === 'string') {
      if (UPSTREAM_ID_SHAPE.test(v)) w.refuse(`This value reads like an upstream object id, and Cloister does not know ${context}, so it cannot check whose it is: refused.`);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) w.at(i, v[i], walk);
      return;
    }
    const o = v as Record<string, unknown>;
    for (const k in o) w.at(k, o[k], isReferenceKey(k) && o[k] !== null ? refuseKey : walk);
  };
  return walk;
}

const WALK_UNKNOWN_FIELD = failClosed('this field');

/** A value no shape describes (an unknown field, or another JSON type than its field's): refuse what reads like a reference. */
export const FAIL_CLOSED: Shape = (v, w) => {
  w.undescribedValue();
  WALK_UNKNOWN_FIELD(v, w);
};

const REFUSE_UNKNOWN_REFERENCE: Shape = (_v, w) => {
  w.undescribedValue();
  w.refuse('Cloister does not know this field, and it may name an upstream object whose owner it cannot check: refused.');
};

/** A reference of `kind`: a string id (or null/absent). */
export function ref(kind: CheckedKind | RefusedKind): Shape {
  const refused = Object.hasOwn(REFUSED_BECAUSE, kind) ? REFUSED_BECAUSE[kind as RefusedKind] : null;
  return (v, w) => {
    if (v === null || v === undefined) return;
    if (refused !== null) return w.refuse(refused);
    if (typeof v !== 'string') return w.refuse('This field must be an id string.');
    w.reference(kind as CheckedKind, v);
  };
}

/** A list of references of `kind`. An empty list names nothing. */
export function refs(kind: CheckedKind | RefusedKind): Shape {
  const one = ref(kind);
  return (v, w) => {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) return w.refuse('This field must be a list of id strings.');
    for (let i = 0; i < v.length; i++) w.at(i, v[i], one);
  };
}

/** An array whose elements all have `shape`. */
export function arr(shape: Shape): Shape {
  return (v, w) => {
    if (v === null || v === undefined) return;
    if (!Array.isArray(v)) return FAIL_CLOSED(v, w);
    for (let i = 0; i < v.length; i++) w.at(i, v[i], shape);
  };
}

/** A map with user-chosen keys whose values all have `shape`. */
export function mapOf(shape: Shape): Shape {
  return (v, w) => {
    if (v === null || v === undefined) return;
    if (typeof v !== 'object' || Array.isArray(v)) return FAIL_CLOSED(v, w);
    const o = v as Record<string, unknown>;
    for (const k in o) w.at(k, o[k], shape);
  };
}

/** One shape per JSON type of the value (a field that is, say, a string or an array). */
export function byJsonType(shapes: { string?: Shape; array?: Shape; object?: Shape }): Shape {
  return (v, w) => {
    if (v === null || v === undefined) return;
    const shape = typeof v === 'string' ? shapes.string : Array.isArray(v) ? shapes.array : typeof v === 'object' ? shapes.object : PLAIN;
    (shape ?? FAIL_CLOSED)(v, w);
  };
}

/**
 * An object with known fields: `plain` names fields of plain data (space-separated), `fields`
 * the others. An unknown field is walked fail closed; a field spelled like a known one in
 * another case is refused, since some parsers would read it as that one.
 */
export function obj(plain: string, fields: Record<string, Shape> = {}): Shape {
  const known = new Map<string, Shape>();
  for (const name of plain.split(' ')) if (name !== '') known.set(name, PLAIN);
  for (const name of Object.keys(fields)) known.set(name, fields[name]!);
  const folded = new Map([...known.keys()].map((k) => [foldKey(k), k]));
  return (v, w) => {
    if (v === null || v === undefined) return;
    if (typeof v !== 'object' || Array.isArray(v)) return FAIL_CLOSED(v, w);
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const shape = known.get(k);
      if (shape !== undefined) {
        w.at(k, o[k], shape);
        continue;
      }
      const like = folded.get(foldKey(k));
      w.at(k, o[k], like === undefined ? (isReferenceKey(k) && o[k] !== null ? REFUSE_UNKNOWN_REFERENCE : FAIL_CLOSED) : refuseSpelling(like));
    }
  };
}

function refuseSpelling(canonical: string): Shape {
  return (_v, w) => {
    w.undescribedValue();
    w.refuse(`This is another spelling of the field '${canonical}'; send it spelled exactly so.`);
  };
}

/**
 * An object told apart by its `key` field (usually `type`): one shape per value. An object
 * without it has the `untagged` shape; an unknown value (or none, without `untagged`) is walked
 * fail closed, so an unknown item type that carries an `id` is refused.
 */
export function byTag(key: string, cases: Record<string, Shape>, untagged?: Shape): Shape {
  const known = new Map(Object.entries(cases));
  return (v, w) => {
    if (v === null || v === undefined) return;
    if (typeof v !== 'object' || Array.isArray(v)) return FAIL_CLOSED(v, w);
    const tag = (v as Record<string, unknown>)[key];
    const shape = tag === undefined || tag === null ? untagged : typeof tag === 'string' ? known.get(tag) : undefined;
    if (shape !== undefined) return shape(v, w);
    w.undescribedValue();
    failClosed(typeof tag === 'string' ? `the ${key} ${JSON.stringify(tag.slice(0, 64))}` : `a ${key} that is not a string`)(v, w);
  };
}

/** Walks a request body: the references to check, or a 400 naming the first refused field. */
export function referencesIn(body: unknown, shape: Shape): Reference[] {
  const w = new Walk('check');
  shape(body, w);
  return w.found;
}

/** The references of checked kinds in something upstream revealed (nothing is refused). */
export function referencesRevealed(value: unknown, shape: Shape): Reference[] {
  const w = new Walk('collect');
  shape(value, w);
  return w.found;
}

/** Everything a walk of `value` meets: references, refusals and undescribed values (for tests of the shapes). */
export function auditReferences(value: unknown, shape: Shape): Pick<Walk, 'found' | 'refused' | 'undescribed'> {
  const w = new Walk('audit');
  shape(value, w);
  return w;
}
