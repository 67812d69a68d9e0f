import { isIP } from 'node:net';
import { normalizeIp } from './ip-allowlist';

/** The eight 16-bit groups of an IPv6 address, as numbers ("::1" -> [0, 0, 0, 0, 0, 0, 0, 1]). */
function ipv6Groups(ip: string): number[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // an embedded IPv4 tail (::ffff:1.2.3.4 is handled before) counts as two groups
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.slice(0, 8).map((g) => parseInt(g, 16) || 0);
}

/**
 * What a per-address limit counts: an IPv4 address as it is, an IPv6 address by its /64. One
 * host or subscriber usually holds a whole /64, and counting single IPv6 addresses would let it
 * take a fresh one, out of 2^64, for every attempt.
 */
export function addressBucket(ip: string | null): string {
  if (!ip) return 'unknown';
  const address = normalizeIp(ip);
  if (isIP(address) !== 6) return address;
  const prefix = ipv6Groups(address)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':');
  return `${prefix}::/64`;
}
