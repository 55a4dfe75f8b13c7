import { expect } from 'chai';
import { resolveClientIp, trustedProxyList } from '../../../src/http/client-ip.ts';

describe('client IP resolution', () => {
  const list = trustedProxyList(['10.0.0.0/8', '::1']);

  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(resolveClientIp('203.0.113.7', '1.2.3.4', list)).to.equal('203.0.113.7');
  });

  it('takes the first untrusted hop from the right behind trusted proxies', () => {
    expect(resolveClientIp('10.1.2.3', '6.6.6.6, 198.51.100.9, 10.9.9.9', list)).to.equal('198.51.100.9');
  });

  it('unwraps IPv4-mapped IPv6 peers', () => {
    expect(resolveClientIp('::ffff:203.0.113.7', '', list)).to.equal('203.0.113.7');
  });

  it('skips garbage entries in the header', () => {
    expect(resolveClientIp('::1', 'not-an-ip, 198.51.100.2', list)).to.equal('198.51.100.2');
  });
});
