import type { ApiKeyQuery } from '../../graphql/generated';

/** Daily use of a key, allowed and refused, for the chart and its table. */
export interface UsageDay {
  /** YYYY-MM-DD (UTC), as the API counts days */
  day: string;
  allowed: number;
  refused: number;
}

type ApiUsage = ApiKeyQuery['apiKey']['usage'];

export const USAGE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The period asked for: the last 30 UTC days, today included. */
export function usagePeriod(now: number = Date.now()): { from: string; to: string } {
  const today = new Date(now);
  const startOfToday = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return {
    from: new Date(startOfToday - (USAGE_DAYS - 1) * DAY_MS).toISOString(),
    to: new Date(startOfToday + DAY_MS).toISOString(),
  };
}

/** Every day of the period, with zeros for days without use. */
export function usageDays(usage: ApiUsage, from: string): UsageDay[] {
  const start = new Date(from).getTime();
  const days = new Map<string, UsageDay>();
  for (let i = 0; i < USAGE_DAYS; i++) {
    const day = new Date(start + i * DAY_MS).toISOString().slice(0, 10);
    days.set(day, { day, allowed: 0, refused: 0 });
  }
  for (const entry of usage) {
    const day = days.get(entry.day);
    if (!day) continue;
    if (entry.outcome === 'SUCCESS') day.allowed += entry.count;
    else day.refused += entry.count;
  }
  return [...days.values()];
}

export function usageTotals(days: UsageDay[]): { uses: number; refused: number } {
  return days.reduce(
    (sum, d) => ({ uses: sum.uses + d.allowed + d.refused, refused: sum.refused + d.refused }),
    { uses: 0, refused: 0 },
  );
}
