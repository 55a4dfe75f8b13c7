// Spans of members and elements in JSON text, kept byte for byte (provider attestations, Intel's signed JSON).
import { expect } from 'chai';
import { arrayElements, objectMembers } from '../../../src/verify/raw-json.ts';

describe('verify/raw-json', () => {
  it('finds each top-level member and array element exactly, whatever the strings and nesting hold', () => {
    const t = ' { "a" : [ {"s":"],\\"}{","n":[1,[2]]} ,\n"x\\u0022y" , -1.5e3, true,null ] , "b":{} } ';
    const m = objectMembers(t);
    expect([...m.keys()]).to.deep.equal(['a', 'b']);
    const items = arrayElements(t, m.get('a')!).map((s) => t.slice(s.start, s.end));
    expect(items).to.deep.equal(['{"s":"],\\"}{","n":[1,[2]]}', '"x\\u0022y"', '-1.5e3', 'true', 'null']);
    expect(items.map((i) => JSON.parse(i))).to.deep.equal(JSON.parse(t).a);
    expect(t.slice(m.get('b')!.start, m.get('b')!.end)).to.equal('{}');
    expect(arrayElements('[ ]', { start: 0, end: 3 })).to.deep.equal([]);
  });

  it('refuses duplicate keys (JSON.parse keeps the last, another reader the first) and non-objects', () => {
    expect(() => objectMembers('{"a":1,"b":2,"a":3}')).to.throw(/duplicate key "a"/);
    expect(() => objectMembers('{"a":1,"\\u0061":3}')).to.throw(/duplicate key "a"/);
    expect(() => objectMembers('[1]')).to.throw(/not an object/);
  });
});
