import { isIP } from 'node:net';
import { badInput } from './errors';
import { hasHiddenCharacters, hasReorderingCharacters } from './hidden-characters';

/**
 * Checks of client input. Each failure is BAD_USER_INPUT naming the field, never the value:
 * a 10,000-character name or a pasted secret must not come back in an error or a log.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators have no place in a name.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// NUL and lone UTF-16 surrogates are not text: PostgreSQL refuses them (text: NUL; jsonb, where the
// audit metadata lives: both), so they would fail deep inside a transaction as an internal error.
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const NOT_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const EVERY_NOT_TEXT = new RegExp(NOT_TEXT.source, 'g');

/**
 * Client text as PostgreSQL can store it, for text that is recorded rather than checked (a user
 * agent, an operation name, the email of a sign-in attempt): each NUL or lone surrogate becomes
 * U+FFFD. One such string in a batch of audit rows would fail the whole batch.
 */
export function storable(text: string): string {
  return text.replace(EVERY_NOT_TEXT, '\uFFFD');
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function requireId(value: unknown, field: string): string {
  if (!isUuid(value)) throw badInput(`${field} is not a valid id`, field);
  return value.toLowerCase();
}

/** A name people read to tell things apart (of a user, team, role or key). */
export function requireName(value: string, field: string, max = 100): string {
  const trimmed = value.trim();
  if (trimmed.length === 0) throw badInput(`${field} must not be empty`, field);
  if (trimmed.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  if (CONTROL.test(trimmed)) throw badInput(`${field} must not contain control characters`, field);
  if (NOT_TEXT.test(trimmed)) throw badInput(`${field} must be valid Unicode text`, field);
  // before trimming: trim() would quietly drop a leading or trailing U+FEFF, not refuse it
  if (hasHiddenCharacters(value))
    throw badInput(`${field} must not contain invisible or text-direction characters`, field);
  return trimmed;
}

export function optionalText(
  value: string | null | undefined,
  field: string,
  max = 1000,
): string | null {
  if (value === undefined || value === null) return null;
  const trimmed = value.trim();
  if (trimmed.length === 0) return null;
  if (trimmed.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  if (NOT_TEXT.test(trimmed)) throw badInput(`${field} must be valid Unicode text`, field);
  if (hasReorderingCharacters(trimmed))
    throw badInput(`${field} must not contain text-direction overrides or tag characters`, field);
  return trimmed;
}

// Deliberately simple: one @, no spaces, a dotted domain (or localhost, for the bootstrap admin
// of a local install). Deliverability is not our business.
const EMAIL = /^[^\s@]+@(([^\s@.]+\.)+[^\s@.]+|localhost)$/;

export function requireEmail(value: string, field = 'email'): string {
  const email = value.trim().toLowerCase();
  if (
    email.length > 254 ||
    !EMAIL.test(email) ||
    CONTROL.test(email) ||
    NOT_TEXT.test(email) ||
    hasHiddenCharacters(email)
  ) {
    throw badInput(`${field} is not a valid email address`, field);
  }
  return email;
}

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 256;

export function requirePassword(value: string, field = 'password'): string {
  if (value.length < PASSWORD_MIN || value.length > PASSWORD_MAX) {
    throw badInput(`${field} must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters`, field);
  }
  return value;
}

// The times the API speaks of: ISO 8601 with four-digit years, as the DateTimeISO scalar reads
// them. PostgreSQL stores 4713 BC to 294276 AD and JavaScript ±275,760 years: held to years
// 0000-9999, a time taken from elsewhere (the export's query string) can't fail inside a query.
const EARLIEST_TIME = Date.parse('0000-01-01T00:00:00.000Z');
const LATEST_TIME = Date.parse('9999-12-31T23:59:59.999Z');

export function requireTime(value: Date, field: string): Date {
  const time = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(time) || time < EARLIEST_TIME || time > LATEST_TIME) {
    throw badInput(`${field} is not a valid time (years 0000 to 9999)`, field);
  }
  return value;
}

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}
