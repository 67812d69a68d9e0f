import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * `length` characters of [0-9A-Za-z] from crypto.randomBytes. Bytes >= 248 are thrown away so
 * every character is equally likely (248 = 4 * 62): no modulo bias.
 */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A fixed-width base62 rendering of an unsigned integer (used for the CRC32 checksum). */
export function base62Fixed(value: number, width: number): string {
  let out = '';
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

export function sha256(value: string): Buffer {
  // the one-shot form: half the cost of createHash() for a short input, on every verification
  return hash('sha256', value, 'buffer');
}

/** Constant-time comparison of two digests of equal length. */
export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Bearer session token: 256 bits of randomness, shown once to the client. */
export function newSessionToken(): string {
  return `emst_${randomBase62(43)}`;
}
