// Finding 9 (duplicate JSON keys): the member count behind the duplicate-key check, judged by
// acorn (a JavaScript parser nobody here wrote), which keeps every property of an object
// literal, repeated or not.
import { expect } from 'chai';
import { parseExpressionAt, type Node } from 'acorn';
import { assertNoDuplicateKeys, countJsonMembers, countParsedKeys, MAX_JSON_DEPTH } from '../../../src/http/json-members.ts';
import { AppError } from '../../../src/errors.ts';

/** What acorn sees in JSON text: how many members, and whether an object repeats a key. */
function judge(text: string): { members: number; repeats: boolean } {
  let members = 0;
  let repeats = false;
  const visit = (node: Node): void => {
    const n = node as Node & { properties?: Array<{ key: { value: unknown }; value: Node }>; elements?: Node[] };
    if (n.type === 'ObjectExpression') {
      const seen = new Set<unknown>();
      for (const p of n.properties!) {
        members++;
        if (seen.has(p.key.value)) repeats = true;
        seen.add(p.key.value);
        visit(p.value);
      }
    } else if (n.type === 'ArrayExpression') {
      for (const e of n.elements!) visit(e);
    }
  };
  visit(parseExpressionAt(text, 0, { ecmaVersion: 2022 }));
  return { members, repeats };
}

/** A small deterministic generator (no Math.random: a failure must be reproducible). */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  // Strings that trip a naive scanner: quotes, colons, escapes, runs of backslashes, non-ASCII.
  const atoms = ['a', 'id', ':', '"', '\\', '\\"', '\\\\', '":"', '{"x":1}', 'é', '€', '😀', '\u2028', '', ' : ', 'type'];
  const str = () => Array.from({ length: 1 + Math.floor(next() * 4) }, () => pick(atoms)).join('');
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 4 || r < 0.3) return pick([str(), 1, -2.5e3, true, false, null]);
    if (r < 0.55) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 5); i > 0; i--) o[str()] = value(depth + 1);
    return o;
  };
  return { next, pick, value };
}

/** Writes `value` as JSON, sometimes repeating a key of some object and sometimes spacing it out. */
function write(value: unknown, g: ReturnType<typeof generator>): string {
  const space = () => (g.next() < 0.2 ? g.pick([' ', '\n', '\t', '\r\n  ']) : '');
  if (Array.isArray(value)) return `[${space()}${value.map((v) => write(v, g)).join(`,${space()}`)}${space()}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}${space()}:${space()}${write(v, g)}`);
    if (members.length > 0 && g.next() < 0.15) {
      const [k] = g.pick(Object.entries(value));
      members.push(`${JSON.stringify(k)}:${write(g.value(3), g)}`);
    }
    return `{${space()}${members.join(`,${space()}`)}${space()}}`;
  }
  return JSON.stringify(value);
}

const refuses = (text: string) => {
  try {
    assertNoDuplicateKeys(text, JSON.parse(text) as object);
    return false;
  } catch (e) {
    expect(e).to.be.instanceOf(AppError);
    expect((e as AppError).code).to.equal('invalid_json');
    return true;
  }
};

describe('duplicate JSON keys (finding 9): member counting', () => {
  it('counts the members of JSON text exactly as acorn sees them, over 5,000 generated documents', () => {
    const g = generator(18);
    let withRepeats = 0;
    for (let i = 0; i < 5000; i++) {
      const text = write({ root: g.value(0) }, g);
      const seen = judge(text);
      expect(countJsonMembers(text), text).to.equal(seen.members);
      expect(refuses(text), text).to.equal(seen.repeats);
      if (seen.repeats) withRepeats++;
    }
    // The generator must actually exercise both answers.
    expect(withRepeats).to.be.greaterThan(300);
  });

  it('refuses a repeated key at the top level and deep inside, and accepts equal keys in different objects', () => {
    expect(refuses('{"model":"a","model":"b"}')).to.equal(true);
    expect(refuses('{"input":[{"role":"user","content":"x"},{"id":"msg_1","type":null,"id":"msg_2"}]}')).to.equal(true);
    expect(refuses('{"a":{"b":{"c":{"d":1,"d":1}}}}')).to.equal(true);
    expect(refuses('{"a":{"id":1},"b":{"id":1},"c":[{"id":1},{"id":1}]}')).to.equal(false);
  });

  it('refuses a repeated key whose first value held members of its own', () => {
    // The overwritten object's members vanish with it: the count differs by more than one.
    expect(refuses('{"tools":[{"type":"a","x":{"y":1,"z":2}}],"tools":[]}')).to.equal(true);
  });

  it('tells keys apart only by their decoded text: an escaped spelling repeats the key', () => {
    expect(refuses('{"id":"a","\\u0069d":"b"}')).to.equal(true);
    expect(refuses('{"id":"a","ID":"b"}')).to.equal(false); // distinct keys (the reference walk refuses such spellings)
  });

  it('counts "__proto__" as an ordinary key', () => {
    expect(refuses('{"__proto__":{"id":1},"__proto__":{}}')).to.equal(true);
    expect(refuses('{"__proto__":{"id":1}}')).to.equal(false);
  });

  it('is not fooled by colons, quotes and backslashes inside strings', () => {
    for (const text of ['{"a":"b:c","d":"\\":\\""}', '{"a\\\\":"\\\\","b":"\\\\\\":"}', '{"k":"\\\\\\\\","k2":":::"}']) {
      expect(countJsonMembers(text), text).to.equal(judge(text).members);
      expect(refuses(text), text).to.equal(false);
    }
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels`, () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(() => countParsedKeys(JSON.parse(deep(MAX_JSON_DEPTH + 1)))).to.not.throw();
    expect(() => countParsedKeys(JSON.parse(deep(MAX_JSON_DEPTH + 2)))).to.throw(AppError, /nested too deeply/);
  });

  it('stays linear on text built to make a scanner search the same bytes again', () => {
    // 100,000 short strings before the only colon, then a long string full of colons.
    const strings = `{"a":[${'"x",'.repeat(100_000)}"y"],"b":"${':'.repeat(200_000)}"}`;
    const started = process.hrtime.bigint();
    expect(countJsonMembers(strings)).to.equal(2);
    // Quadratic work here would take minutes; linear takes milliseconds.
    expect(Number(process.hrtime.bigint() - started) / 1e6).to.be.lessThan(1000);
  });
});
