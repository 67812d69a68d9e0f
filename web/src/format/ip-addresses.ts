/**
 * "Allowed addresses" as typed: one per line or comma separated. Each entry must be an IPv4 or
 * IPv6 address, or a CIDR block (address/prefix), as the server accepts them; the form names
 * the first entry that isn't, while the person types.
 */
export function splitEntries(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

export function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return (
    parts.length === 4 &&
    parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255 && !/^0\d/.test(part))
  );
}

export function isIPv6(text: string): boolean {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return false;
  let groups = text.split(':');
  // an IPv4 tail (::ffff:10.0.0.1) counts as two groups
  const last = groups[groups.length - 1];
  if (last.includes('.')) {
    if (!isIPv4(last)) return false;
    groups = [...groups.slice(0, -1), '0', '0'];
  }
  const compressed = text.indexOf('::');
  if (compressed !== -1 && text.indexOf('::', compressed + 1) !== -1) return false;
  if (compressed === -1) return groups.length === 8 && groups.every(isGroup);
  // "::" leaves empty strings around it; the others must be groups, fewer than 8 in all
  const present = groups.filter((group) => group !== '');
  if (present.length > 7 || !present.every(isGroup)) return false;
  // a single ':' at either end without its pair (":1::") is not an address
  return !/^:[^:]/.test(text) && !/[^:]:$/.test(text);
}

function isGroup(group: string): boolean {
  return /^[0-9a-fA-F]{1,4}$/.test(group);
}

/** An address, or a CIDR block with a prefix that fits its family. */
export function isAllowedAddress(entry: string): boolean {
  const [address, prefix, extra] = entry.split('/');
  if (extra !== undefined) return false;
  const family = isIPv4(address) ? 4 : isIPv6(address) ? 6 : 0;
  if (family === 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export interface AddressCheck {
  entries: string[];
  /** the first entry that is neither an address nor a CIDR block */
  invalid?: string;
}

export function checkAddresses(text: string): AddressCheck {
  const entries = splitEntries(text);
  return { entries, invalid: entries.find((entry) => !isAllowedAddress(entry)) };
}

export const MAX_ALLOWED_ADDRESSES = 100;
