import { expect } from 'chai';
import { safeReturnTo } from '../../../src/auth/return-to.ts';

describe('return_to validation', () => {
  const pub = new URL('https://cloister.example');
  const allowed = ['https://app.example.com'];

  it('keeps same-origin paths with query and fragment', () => {
    expect(safeReturnTo('/chat?x=1#y', pub, allowed)).to.equal('/chat?x=1#y');
    expect(safeReturnTo('https://cloister.example/a', pub, allowed)).to.equal('https://cloister.example/a');
    expect(safeReturnTo('https://app.example.com/done', pub, allowed)).to.equal('https://app.example.com/done');
  });

  for (const evil of [
    'https://evil.example/', '//evil.example/x', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)', 'data:text/html,x',
    'https://cloister.example.evil.example/', 'https://app.example.com.evil/', 'http://app.example.com/', ' https://evil.example',
    '/%0a/evil', 'https:evil.example', '', 'relative/path', '/\t/evil.example',
  ]) {
    it(`falls back to / for ${JSON.stringify(evil)}`, () => {
      const out = safeReturnTo(evil, pub, allowed);
      expect(out === '/' || out.startsWith('/') && !out.startsWith('//')).to.equal(true);
      expect(out).to.not.contain('evil.example');
    });
  }

  it('ignores non-strings', () => {
    expect(safeReturnTo(['/a'], pub, allowed)).to.equal('/');
  });
});
