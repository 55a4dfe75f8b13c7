import { expect } from 'chai';
import { sealingKeyFor } from '../../../src/shared/sealing.ts';

describe('sealing key', () => {
  const key = sealingKeyFor(new TextEncoder().encode('a-session-secret-of-at-least-32-bytes!!'), 'settings');

  it('round-trips and never contains the plaintext', () => {
    const sealed = key.seal(Buffer.from('hello settings'), 'settings:u1');
    expect(sealed.toString('latin1')).to.not.contain('hello');
    expect(key.open(sealed, 'settings:u1').toString()).to.equal('hello settings');
  });

  it('refuses another context (settings of user A cannot be opened as user B\'s)', () => {
    const sealed = key.seal(Buffer.from('x'), 'settings:u1');
    expect(() => key.open(sealed, 'settings:u2')).to.throw();
  });

  it('refuses tampered data', () => {
    const sealed = key.seal(Buffer.from('x'), 'c');
    sealed[sealed.length - 1]! ^= 1;
    expect(() => key.open(sealed, 'c')).to.throw();
  });

  it('differs per secret', () => {
    const other = sealingKeyFor(new TextEncoder().encode('another-session-secret-of-32-bytes-or-more'), 'settings');
    expect(() => other.open(key.seal(Buffer.from('x'), 'c'), 'c')).to.throw();
  });
});
