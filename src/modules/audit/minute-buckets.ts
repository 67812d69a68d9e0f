export const MINUTE_MS = 60_000;

/** The start of the minute `ms` falls in. */
export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** What is counted for one key and minute: the minute, its first event, how many. */
export interface MinuteBucket {
  minute: number;
  firstAt: Date;
  count: number;
}

/**
 * Counts kept in memory per key and minute, for logs that must not grow per request (the
 * security log, key usage): a bucket is written as one row once its minute is over. What a
 * failed write could not store goes back to be tried again, merged with what was counted
 * meanwhile, unless its minute is older than `maxPendingMinutes` (then it is dropped, and counted).
 */
export class MinuteBuckets<B extends MinuteBucket> {
  private readonly buckets = new Map<string, B>();
  /** events dropped: kept past maxPendingMinutes without a database to write them to */
  dropped = 0;

  constructor(
    private readonly maxPendingMinutes: number,
    /** an older bucket put back after a failed write, and the newer one of the same key */
    private readonly merge: (older: B, newer: B) => B,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  get(key: string): B | undefined {
    return this.buckets.get(key);
  }

  set(key: string, bucket: B): void {
    this.buckets.set(key, bucket);
  }

  /** Takes out the buckets whose minute is over (`everything`: all of them), oldest first. */
  takeDue(everything: boolean, now = Date.now()): [string, B][] {
    const current = minuteOf(now);
    const due = [...this.buckets.entries()].filter(([, b]) => everything || b.minute < current);
    for (const [key] of due) this.buckets.delete(key);
    return due.sort(([, a], [, b]) => a.firstAt.getTime() - b.firstAt.getTime());
  }

  /** Buckets that could not be written go back, to be tried again, unless they are too old. */
  putBack(unwritten: [string, B][], now = Date.now()): void {
    const oldest = minuteOf(now) - this.maxPendingMinutes * MINUTE_MS;
    for (const [key, bucket] of unwritten) {
      if (bucket.minute < oldest) {
        this.dropped += bucket.count;
        continue;
      }
      const newer = this.buckets.get(key);
      this.buckets.set(key, newer ? this.merge(bucket, newer) : bucket);
    }
  }
}
