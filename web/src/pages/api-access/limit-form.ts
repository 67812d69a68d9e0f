import { formatCount } from '../../format/numbers';
import { windowText, type CreditsValue, type RateLimitValue } from '../../format/limits';
import type { RateLimitInput, RefillInterval, UsageCreditsInput } from '../../graphql/generated';

/**
 * The rate limit and credits fields of the key dialogs (and the team's default rate limit in Key
 * rules), and how they turn into the API's input. Checks here only help people type: the server
 * checks everything again.
 */

export const MAX_REQUESTS = 1_000_000;
export const MAX_CREDITS = 1_000_000_000;

export interface RateLimitValues {
  /** "Requests allowed", as typed; empty for no limit */
  requests: string;
  /** the window in seconds, as the select holds it */
  window: string;
}

export type RefillChoice = 'NEVER' | RefillInterval;

export interface CreditValues {
  /** "Credits left", as typed; empty for unlimited */
  remaining: string;
  refill: RefillChoice;
  /** "Refill to", as typed (only when refill isn't NEVER) */
  refillAmount: string;
}

export const WINDOW_CHOICES: { value: string; label: string }[] = [
  { value: '1', label: 'Per second' },
  { value: '60', label: 'Per minute' },
  { value: '3600', label: 'Per hour' },
  { value: '86400', label: 'Per day' },
];

/** The choices, with the current window among them when it is another (set through the API). */
export function windowChoices(current: string): { value: string; label: string }[] {
  if (WINDOW_CHOICES.some((choice) => choice.value === current)) return WINDOW_CHOICES;
  const seconds = Number(current);
  if (!Number.isInteger(seconds) || seconds < 1) return WINDOW_CHOICES;
  const label = `Every ${windowText(seconds)}`;
  return [...WINDOW_CHOICES, { value: current, label }].sort(
    (a, b) => Number(a.value) - Number(b.value),
  );
}

export const REFILL_CHOICES: { value: RefillChoice; label: string }[] = [
  { value: 'NEVER', label: 'Never' },
  { value: 'DAILY', label: 'Every day (at midnight UTC)' },
  { value: 'MONTHLY', label: 'Every month (on the 1st, at midnight UTC)' },
];

export function isRefillChoice(value: string | null): value is RefillChoice {
  return REFILL_CHOICES.some((choice) => choice.value === value);
}

export function rateLimitValuesOf(rateLimit: RateLimitValue | null | undefined): RateLimitValues {
  return rateLimit
    ? { requests: String(rateLimit.limit), window: String(rateLimit.windowSeconds) }
    : { requests: '', window: '60' };
}

export function creditValuesOf(credits: CreditsValue | null | undefined): CreditValues {
  if (!credits) return { remaining: '', refill: 'NEVER', refillAmount: '' };
  return {
    remaining: String(credits.remaining),
    refill: credits.refillInterval ?? 'NEVER',
    refillAmount: credits.refillAmount ? String(credits.refillAmount) : '',
  };
}

/** A whole number as typed ("1,000" and "1 000" too); null when empty, NaN when not a number. */
export function parseCount(text: string): number | null {
  const plain = text.replace(/[\s,_]/g, '');
  if (!plain) return null;
  return /^\d{1,10}$/.test(plain) ? Number(plain) : NaN;
}

const within = (value: number, min: number, max: number) => value >= min && value <= max;

/** What is wrong with "Requests allowed", in words; null when nothing is. */
export function requestsProblem(values: RateLimitValues): string | null {
  const requests = parseCount(values.requests);
  if (requests === null || within(requests, 1, MAX_REQUESTS)) return null;
  return `Enter 1 to ${formatCount(MAX_REQUESTS)} requests, or leave it empty for no limit.`;
}

/** What is wrong with "Credits left", in words; null when nothing is. */
export function remainingProblem(values: CreditValues): string | null {
  const remaining = parseCount(values.remaining);
  if (remaining === null) {
    return values.refill === 'NEVER'
      ? null
      : 'Enter the credits the key has now, or choose “Never” under “Refill”.';
  }
  if (within(remaining, 0, MAX_CREDITS)) return null;
  return `Enter 0 to ${formatCount(MAX_CREDITS)} credits, or leave it empty for unlimited.`;
}

/** What is wrong with "Refill to", in words; null when nothing is. */
export function refillAmountProblem(values: CreditValues): string | null {
  if (values.refill === 'NEVER') return null;
  const amount = parseCount(values.refillAmount);
  if (amount !== null && within(amount, 1, MAX_CREDITS)) return null;
  return `Enter the credits of each refill, 1 to ${formatCount(MAX_CREDITS)}.`;
}

/** The first problem of the limit fields, in words; null when they can be sent. */
export function limitsProblem(rateLimit: RateLimitValues, credits: CreditValues): string | null {
  return requestsProblem(rateLimit) ?? remainingProblem(credits) ?? refillAmountProblem(credits);
}

/** The rate limit as the API wants it; null when "Requests allowed" is empty. */
export function rateLimitOf(values: RateLimitValues): RateLimitInput | null {
  const requests = parseCount(values.requests);
  if (requests === null) return null;
  return { limit: requests, windowSeconds: Number(values.window) };
}

/** The credits as the API wants them; null when "Credits left" is empty (unlimited). */
export function creditsOf(values: CreditValues): UsageCreditsInput | null {
  const remaining = parseCount(values.remaining);
  if (remaining === null) return null;
  if (values.refill === 'NEVER') return { remaining };
  return {
    remaining,
    refillAmount: parseCount(values.refillAmount),
    refillInterval: values.refill,
  };
}

export function sameRateLimit(
  a: RateLimitValue | null | undefined,
  b: RateLimitValue | null | undefined,
): boolean {
  if (!a || !b) return !a && !b;
  return a.limit === b.limit && a.windowSeconds === b.windowSeconds;
}

export function sameCredits(
  a: CreditsValue | null | undefined,
  b: CreditsValue | null | undefined,
): boolean {
  if (!a || !b) return !a && !b;
  return (
    a.remaining === b.remaining &&
    (a.refillAmount ?? null) === (b.refillAmount ?? null) &&
    (a.refillInterval ?? null) === (b.refillInterval ?? null)
  );
}
