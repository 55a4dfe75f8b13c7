import { expect } from 'chai';
import { safeReturnTo } from '../../../src/identity/return-to.ts';

describe('return_to validation', () => {
  const pub = new URL('https://cloister.example');
  const allowed = ['https://app.example.com'];

  it('keeps same-origin paths with query and fragment, as absolute URLs', () => {
    expect(safeReturnTo('/chat?x=1#y', pub, allowed)).to.equal('https://cloister.example/chat?x=1#y');
    expect(safeReturnTo('https://cloister.example/a', pub, allowed)).to.equal('https://cloister.example/a');
    expect(safeReturnTo('https://app.example.com/done', pub, allowed)).to.equal('https://app.example.com/done');
    expect(safeReturnTo('/a/./b/../c', pub, allowed)).to.equal('https://cloister.example/a/c');
  });

  // Finding 18.3: the raw value was checked, the normalised one returned (`/.//evil` → `//evil`).
  for (const evil of [
    'https://evil.example/', '//evil.example/x', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)', 'data:text/html,x',
    'https://cloister.example.evil.example/', 'https://app.example.com.evil/', 'http://app.example.com/', ' https://evil.example',
    '/%0a/evil', 'https:evil.example', '', 'relative/path', '/\t/evil.example',
    '/.//evil.example/phish', '/..//evil.example/phish', '/%2e//evil.example/phish', '/%2E%2E//evil.example/phish', '/././/evil.example',
    '/a/..//evil.example', 'https://cloister.example//evil.example', 'https://user@cloister.example/', 'https://cloister.example@evil.example/',
    'HTTPS://evil.example', 'https://evil.example\\@cloister.example/', '/\u2028/evil.example', '/ /evil.example',
  ]) {
    it(`falls back to PUBLIC_URL's root for ${JSON.stringify(evil)}`, () => {
      const out = safeReturnTo(evil, pub, allowed);
      const u = new URL(out);
      expect([pub.origin, ...allowed]).to.include(u.origin);
      expect(u.pathname.startsWith('//')).to.equal(false);
      expect(out).to.not.contain('evil.example');
    });
  }

  it('ignores non-strings', () => {
    expect(safeReturnTo(['/a'], pub, allowed)).to.equal('https://cloister.example/');
  });
});
