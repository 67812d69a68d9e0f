import type { RefillInterval } from '../graphql/generated';
import { formatCount, plural } from './numbers';

/**
 * A key's limits in words: its rate limit ("100 requests per minute") and its credits ("1,234
 * credits left, refilled to 5,000 every day"). The API speaks windowSeconds and refillInterval.
 */

export interface RateLimitValue {
  limit: number;
  windowSeconds: number;
}

export interface CreditsValue {
  remaining: number;
  refillAmount?: number | null;
  refillInterval?: RefillInterval | null;
}

const UNITS: [seconds: number, one: string][] = [
  [86_400, 'day'],
  [3_600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** 60 -> "minute", 300 -> "5 minutes", 90 -> "90 seconds": the largest unit that divides it. */
export function windowText(windowSeconds: number): string {
  const [size, unit] = UNITS.find(([seconds]) => windowSeconds % seconds === 0) ?? UNITS[3];
  const count = windowSeconds / size;
  return count === 1 ? unit : plural(count, unit);
}

/** "100 requests per minute", "1 request every 5 minutes"; "No limit" for none. */
export function rateLimitText(rateLimit: RateLimitValue | null | undefined, none = 'No limit') {
  if (!rateLimit) return none;
  const requests = plural(rateLimit.limit, 'request');
  const window = windowText(rateLimit.windowSeconds);
  return /^\d/.test(window) ? `${requests} every ${window}` : `${requests} per ${window}`;
}

export const REFILL_WORDS: Record<RefillInterval, string> = {
  DAILY: 'every day',
  MONTHLY: 'every month',
};

/** "1,234 credits left"; "No credits left" at 0; "Unlimited" for none. */
export function creditsLeftText(credits: CreditsValue | null | undefined, none = 'Unlimited') {
  if (!credits) return none;
  return credits.remaining === 0
    ? 'No credits left'
    : `${plural(credits.remaining, 'credit')} left`;
}

/** "refilled to 5,000 every day"; null when the credits are never refilled. */
export function refillText(credits: CreditsValue | null | undefined): string | null {
  if (!credits?.refillAmount || !credits.refillInterval) return null;
  return `refilled to ${formatCount(credits.refillAmount)} ${REFILL_WORDS[credits.refillInterval]}`;
}

const REFILL_SCHEDULE: Record<RefillInterval, string> = {
  DAILY: 'every day at midnight UTC',
  MONTHLY: 'on the 1st of every month at midnight UTC',
};

/** "Refilled to 5,000 every day at midnight UTC."; "Never refilled." without a refill. */
export function refillScheduleText(credits: CreditsValue): string {
  if (!credits.refillAmount || !credits.refillInterval) return 'Never refilled.';
  return `Refilled to ${formatCount(credits.refillAmount)} ${REFILL_SCHEDULE[credits.refillInterval]}.`;
}

/** "1,234 credits left, refilled to 5,000 every day"; "Unlimited" for none. */
export function creditsText(credits: CreditsValue | null | undefined, none = 'Unlimited'): string {
  const left = creditsLeftText(credits, none);
  const refill = refillText(credits);
  return refill ? `${left}, ${refill}` : left;
}
