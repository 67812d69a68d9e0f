import { BlockList, isIP } from 'node:net';

/** "::ffff:10.0.0.1" (an IPv4 client on a dual-stack socket) -> "10.0.0.1". */
export function normalizeIp(ip: string): string {
  const trimmed = ip.trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  return mapped ? mapped[1] : trimmed.toLowerCase();
}

/** An address or CIDR block in its canonical form, or null if it is neither. */
export function normalizeAllowedIp(entry: string): string | null {
  const [address, prefix, extra] = entry.trim().split('/');
  if (extra !== undefined) return null;
  const ip = normalizeIp(address);
  const family = isIP(ip);
  if (family === 0) return null;
  if (prefix === undefined) return ip;
  if (!/^\d{1,3}$/.test(prefix)) return null;
  const bits = Number(prefix);
  if (bits > (family === 4 ? 32 : 128)) return null;
  return `${ip}/${bits}`;
}

/**
 * Is `ip` inside one of `allowed` (addresses and CIDR blocks)? An empty list allows any
 * address. An unknown or unparsable client address is never allowed by a non-empty list.
 */
export function ipAllowed(allowed: readonly string[], ip: string | null | undefined): boolean {
  if (allowed.length === 0) return true;
  if (!ip) return false;
  const client = normalizeIp(ip);
  const family = isIP(client);
  if (family === 0) return false;
  const list = new BlockList();
  for (const entry of allowed) {
    const [address, prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return list.check(client, family === 6 ? 'ipv6' : 'ipv4');
}
