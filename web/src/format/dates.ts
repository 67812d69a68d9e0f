/**
 * Dates as people read them, in their own time zone and in English (the app's language). The API
 * speaks UTC ISO strings; the native date input speaks local YYYY-MM-DD.
 */
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

const dateFormat = new Intl.DateTimeFormat('en', { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });
const fullFormat = new Intl.DateTimeFormat('en', { dateStyle: 'full', timeStyle: 'long' });
const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

export function formatDate(iso: string): string {
  return dateFormat.format(new Date(iso));
}

export function formatDateTime(iso: string): string {
  return dateTimeFormat.format(new Date(iso));
}

/** The full date and time with its zone, for a tooltip next to a relative time. */
export function formatFullDateTime(iso: string): string {
  return fullFormat.format(new Date(iso));
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * DAY_MS],
  ['month', 30 * DAY_MS],
  ['week', 7 * DAY_MS],
  ['day', DAY_MS],
  ['hour', 60 * 60 * 1000],
  ['minute', 60 * 1000],
];

/** "3 minutes ago", "in 2 days", "just now". */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const diff = new Date(iso).getTime() - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return relativeFormat.format(Math.round(diff / ms), unit);
  }
  return 'just now';
}

/**
 * The time left until a moment, for things about to end: "in 3 days", "in 1 day", "in 5 hours",
 * "in less than an hour"; "now" once it has passed. Rounded to the nearest hour, then day.
 */
export function timeLeft(iso: string, now: number = Date.now()): string {
  const left = new Date(iso).getTime() - now;
  if (left <= 0) return 'now';
  const hours = Math.round(left / HOUR_MS);
  if (hours < 1) return 'in less than an hour';
  if (hours < 24) return `in ${hours} ${hours === 1 ? 'hour' : 'hours'}`;
  const days = Math.round(left / DAY_MS);
  return `in ${days} ${days === 1 ? 'day' : 'days'}`;
}

export function daysFromNow(days: number, now: number = Date.now()): Date {
  return new Date(now + days * DAY_MS);
}

/** A year from now on the calendar (not 365 days, which drifts in leap years). */
export function oneYearFromNow(now: Date = new Date()): Date {
  const next = new Date(now);
  next.setFullYear(next.getFullYear() + 1);
  return next;
}

/** "2026-03-31" from a date input -> the end of that day, local time; null if not a date. */
export function endOfLocalDay(value: string): Date | null {
  const date = startOfLocalDay(value);
  return date ? new Date(date.getTime() + DAY_MS - 1) : null;
}

/** "2026-03-31" from a date input -> the start of that day, local time; null if not a date. */
export function startOfLocalDay(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Today's date as a date input writes it (local time): the earliest day an expiry can be. */
export function todayInputValue(now: Date = new Date()): string {
  return toInputValue(now);
}

export function toInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
