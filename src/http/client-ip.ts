// The client's IP: X-Forwarded-For is believed only when the direct peer is a trusted
// proxy, and then only up to the first untrusted hop from the right.
import { BlockList, isIP } from 'node:net';

/** A BlockList of trusted proxy addresses/ranges (entries validated by loadConfig). */
export function trustedProxyList(proxies: readonly string[]): BlockList {
  const list = new BlockList();
  for (const p of proxies) {
    const [addr = '', bits] = p.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return list;
}

/** An IPv4-mapped IPv6 address as plain IPv4; any other address as given. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Whether an (already normalised) address is in the trusted list. */
export function isTrustedPeer(list: BlockList, ip: string): boolean {
  const family = isIP(ip);
  return family !== 0 && list.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

/** Resolves the client IP for one request. */
export function resolveClientIp(peer: string, forwardedFor: string, list: BlockList): string {
  let ip = normaliseIp(peer);
  if (!isTrustedPeer(list, ip) || forwardedFor === '') return ip;
  const hops = forwardedFor.split(',').map((h) => normaliseIp(h.trim())).filter((h) => isIP(h) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    ip = hops[i]!;
    if (!isTrustedPeer(list, ip)) return ip;
  }
  return ip;
}

/** The client IP of a request, given the direct peer and its X-Forwarded-For. */
export function clientIpOf(proxies: readonly string[]): (peer: string, forwardedFor: () => string) => string {
  const list = trustedProxyList(proxies);
  // No trusted proxies (the default): the peer is the client, whatever X-Forwarded-For says.
  if (proxies.length === 0) return (peer) => normaliseIp(peer);
  return (peer, forwardedFor) => resolveClientIp(peer, forwardedFor(), list);
}
