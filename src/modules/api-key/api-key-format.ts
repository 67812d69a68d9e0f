import { base62Fixed, randomBase62 } from '../../auth/tokens';

/**
 * The credential formats of the contract:
 * - API key (public):  empk_ + 24 base62 characters (~143 bits)
 * - API secret:        emps_ + 43 base62 (~256 bits) + 6 base62 encoding the CRC32 of all before
 *
 * The checksum lets us refuse a mistyped or made-up secret without a database query, and lets
 * secret scanners (GitHub's, for one) recognise a leaked secret with few false positives.
 */
const KEY_PREFIX = 'empk_';
const SECRET_PREFIX = 'emps_';
const KEY_PATTERN = /^empk_[0-9A-Za-z]{24}$/;
const SECRET_PATTERN = /^emps_[0-9A-Za-z]{49}$/;

export function newApiKey(): string {
  return KEY_PREFIX + randomBase62(24);
}

// CRC-32 (IEEE), table-driven; zlib.crc32 only exists from Node 20.15 on.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  // CRC32 < 2^32 < 62^6, so six base62 characters always hold it.
  return base62Fixed(crc32(body), 6);
}

export function newApiSecret(): string {
  const body = SECRET_PREFIX + randomBase62(43);
  return body + checksum(body);
}

export function isWellFormedKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** Format and checksum: false means the secret can't be one we issued. */
export function isWellFormedSecret(secret: string): boolean {
  return SECRET_PATTERN.test(secret) && checksum(secret.slice(0, -6)) === secret.slice(-6);
}

export function lastFour(secret: string): string {
  return secret.slice(-4);
}
