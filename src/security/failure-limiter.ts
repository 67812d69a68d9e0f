import type { DataSource } from 'typeorm';

export interface FailureLimit {
  /** failures allowed in one window; the next is refused */
  max: number;
  windowSeconds: number;
}

/**
 * Counts failures (wrong passwords, invalid credentials) per bucket in fixed windows, in
 * PostgreSQL so that the count holds across every instance of the service.
 *
 * Only failures touch the database. A bucket that went over its limit is also remembered in
 * memory until its window ends, so checking a request costs nothing: a gateway verifying
 * thousands of good credentials a second is never slowed by this.
 */
export class FailureLimiter {
  private readonly blockedUntil = new Map<string, number>();
  private readonly local = new Map<string, { count: number; ends: number }>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly limit: FailureLimit,
    private readonly name: string,
  ) {}

  /** true when any of the buckets is over its limit right now */
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
   * Check against the shared count (one query): for paths where a refusal must hold across
   * instances even before this instance has seen a failure of its own (sign-in).
   */
  async isBlockedShared(buckets: readonly string[]): Promise<boolean> {
    if (this.isBlocked(buckets)) return true;
    const rows: { bucket: string; count: number; ends: Date }[] = await this.dataSource.query(
      `SELECT bucket, count, window_start + make_interval(secs => $2) AS ends FROM rate_limits
        WHERE bucket = ANY($1) AND window_start > now() - make_interval(secs => $2)`,
      [buckets.map((b) => this.key(b)), this.limit.windowSeconds],
    );
    let blocked = false;
    for (const row of rows) {
      if (row.count >= this.limit.max) {
        this.blockedUntil.set(row.bucket, new Date(row.ends).getTime());
        blocked = true;
      }
    }
    return blocked;
  }

  /** Record one failure in each bucket; returns true when that put any of them over the limit. */
  async recordFailure(buckets: readonly string[]): Promise<boolean> {
    let over = false;
    for (const bucket of buckets) {
      const key = this.key(bucket);
      const [row]: { count: number; ends: Date }[] = await this.dataSource.query(
        `INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, now(), 1)
         ON CONFLICT (bucket) DO UPDATE SET
           count = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => $2) THEN 1 ELSE rate_limits.count + 1 END,
           window_start = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => $2) THEN now() ELSE rate_limits.window_start END
         RETURNING count, window_start + make_interval(secs => $2) AS ends`,
        [key, this.limit.windowSeconds],
      );
      if (row.count >= this.limit.max) {
        this.blockedUntil.set(key, new Date(row.ends).getTime());
        over = true;
      }
    }
    return over;
  }

  /**
   * Count a failure in this process only: for failures that are answered without touching the
   * database (a secret whose checksum fails), so that answering them stays free.
   */
  recordLocalFailure(buckets: readonly string[]): void {
    const now = Date.now();
    for (const bucket of buckets) {
      const key = this.key(bucket);
      const entry = this.local.get(key);
      const current = entry && entry.ends > now ? entry : { count: 0, ends: now + this.limit.windowSeconds * 1000 };
      current.count++;
      this.local.set(key, current);
      if (current.count >= this.limit.max) this.blockedUntil.set(key, current.ends);
    }
    if (this.local.size > 100_000) this.local.clear();
  }

  /** Forget a bucket's failures, e.g. after a successful sign-in of that account. */
  async reset(bucket: string): Promise<void> {
    this.blockedUntil.delete(this.key(bucket));
    this.local.delete(this.key(bucket));
    await this.dataSource.query(`DELETE FROM rate_limits WHERE bucket = $1`, [this.key(bucket)]);
  }

  private key(bucket: string): string {
    return `${this.name}:${bucket}`;
  }
}
