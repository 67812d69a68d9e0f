import { incrementOne, type FailureStore } from './failure-store';

export interface FailureLimit {
  /** failures allowed in one window; once reached, the bucket is blocked until the window ends */
  max: number;
  windowSeconds: number;
}

/**
 * Counts failures (wrong passwords, invalid credentials) per bucket in fixed windows, in a
 * store shared by every instance (PostgreSQL, or Redis).
 *
 * Only failures are written. A bucket that reached its limit is also remembered in memory until
 * its window ends, so checking a request costs nothing: a gateway verifying thousands of good
 * credentials a second is never slowed by this.
 */
export class FailureLimiter {
  protected readonly blockedUntil = new Map<string, number>();
  private readonly local = new Map<string, { count: number; ends: number }>();

  constructor(
    protected readonly store: FailureStore,
    readonly limit: FailureLimit,
    private readonly name: string,
  ) {}

  /** true when any of the buckets is over its limit, as far as this instance knows */
  isBlocked(buckets: readonly string[]): boolean {
    const now = Date.now();
    return buckets.some((bucket) => {
      const until = this.blockedUntil.get(this.key(bucket));
      if (until === undefined) return false;
      if (until > now) return true;
      this.blockedUntil.delete(this.key(bucket));
      return false;
    });
  }

  /**
   * Check against the shared count (one read): for paths where a block must hold across
   * instances before this instance has seen a failure of its own (sign-in).
   */
  async isBlockedShared(buckets: readonly string[]): Promise<boolean> {
    if (this.isBlocked(buckets)) return true;
    const counts = await this.store.read(
      buckets.map((b) => this.key(b)),
      this.limit.windowSeconds,
    );
    let blocked = false;
    for (const { bucket, count, ends } of counts) {
      if (count >= this.limit.max) {
        this.blockedUntil.set(bucket, ends);
        blocked = true;
      }
    }
    return blocked;
  }

  /**
   * Record one failure in each bucket. Returns the buckets that this failure took to the limit
   * (a lockout starts now: callers audit it).
   */
  async recordFailure(buckets: readonly string[]): Promise<string[]> {
    // counting a failure after the fact is counting an attempt that is kept
    return (await this.reserve(buckets)).reached;
  }

  /**
   * Count one attempt in each bucket BEFORE it is checked (sign-in), so that concurrent attempts
   * can't all pass a check of the count and be tried at once: with 40 guesses in flight, only
   * the first `max` to be counted are tried, the rest are refused as locked. `allowed` is false
   * when any bucket went past its limit; `reached` lists the buckets this attempt took to the
   * limit (if it fails, a lockout starts now: callers audit it). An attempt that turns out to
   * succeed gives its count back (refund) or clears the bucket (reset).
   */
  async reserve(buckets: readonly string[]): Promise<{ allowed: boolean; reached: string[] }> {
    const reached: string[] = [];
    let allowed = true;
    for (const bucket of buckets) {
      const { count, ends } = await incrementOne(
        this.store,
        this.key(bucket),
        this.limit.windowSeconds,
      );
      if (count >= this.limit.max) this.blockedUntil.set(this.key(bucket), ends);
      if (count === this.limit.max) reached.push(bucket);
      if (count > this.limit.max) allowed = false;
    }
    return { allowed, reached };
  }

  /** Give back one attempt counted by reserve() that did not fail. */
  async refund(bucket: string): Promise<void> {
    const left = await this.store.decrement(this.key(bucket), this.limit.windowSeconds);
    if (left < this.limit.max) this.blockedUntil.delete(this.key(bucket));
  }

  /**
   * Count a failure in this process only: for failures answered without touching any store (a
   * secret whose checksum fails), so that answering them stays free.
   */
  recordLocalFailure(buckets: readonly string[]): void {
    const now = Date.now();
    if (this.local.size > 100_000) this.local.clear();
    for (const bucket of buckets) {
      const key = this.key(bucket);
      const entry = this.local.get(key);
      const current =
        entry && entry.ends > now
          ? entry
          : { count: 0, ends: now + this.limit.windowSeconds * 1000 };
      current.count++;
      this.local.set(key, current);
      if (current.count >= this.limit.max) this.blockedUntil.set(key, current.ends);
    }
  }

  /** Forget a bucket's failures, e.g. after a successful sign-in to that account. */
  async reset(bucket: string): Promise<void> {
    this.blockedUntil.delete(this.key(bucket));
    this.local.delete(this.key(bucket));
    await this.store.reset(this.key(bucket));
  }

  protected key(bucket: string): string {
    return `${this.name}:${bucket}`;
  }
}
