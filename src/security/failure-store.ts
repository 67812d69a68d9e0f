import Redis from 'ioredis';
import type { DataSource } from 'typeorm';

/** failures to add to a bucket's count */
export interface NewFailures {
  bucket: string;
  by: number;
}

export interface WindowCount {
  bucket: string;
  count: number;
  /** when the window ends (ms since epoch) */
  ends: number;
}

/**
 * Where failure counters live so that every instance sees the same numbers: PostgreSQL by
 * default (table rate_limits), Redis when REDIS_URL is set. Fixed windows: the first failure
 * opens a window of `windowSeconds`; later failures in it add up. A row says when its window ends
 * (expires_at): past it the row is spent, and the maintenance job deletes it (Redis keys expire).
 */
export interface FailureStore {
  /** adds each bucket's failures in one round trip; the counts after */
  incrementBy(failures: readonly NewFailures[], windowSeconds: number): Promise<WindowCount[]>;
  read(buckets: readonly string[], windowSeconds: number): Promise<WindowCount[]>;
  /** take one back from a bucket's current window (never below 0); returns the count left */
  decrement(bucket: string, windowSeconds: number): Promise<number>;
  reset(bucket: string): Promise<void>;
  close(): Promise<void>;
}

/** One failure added to a bucket: a batch of one. */
export async function incrementOne(
  store: FailureStore,
  bucket: string,
  windowSeconds: number,
): Promise<WindowCount> {
  const [count] = await store.incrementBy([{ bucket, by: 1 }], windowSeconds);
  return count;
}

class PostgresFailureStore implements FailureStore {
  constructor(private readonly dataSource: DataSource) {}

  async incrementBy(
    failures: readonly NewFailures[],
    windowSeconds: number,
  ): Promise<WindowCount[]> {
    // In a fixed order: two instances adding to the same buckets can't deadlock.
    const sorted = [...failures].sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
    const rows: { bucket: string; count: number; ends: Date }[] = await this.dataSource.query(
      `INSERT INTO rate_limits (bucket, window_start, count, expires_at)
       SELECT u.bucket, now(), u.by, now() + make_interval(secs => $3)
         FROM unnest($1::text[], $2::int[]) AS u(bucket, by)
       ON CONFLICT (bucket) DO UPDATE SET
         count = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => $3) THEN EXCLUDED.count ELSE rate_limits.count + EXCLUDED.count END,
         window_start = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => $3) THEN now() ELSE rate_limits.window_start END,
         expires_at = CASE WHEN rate_limits.window_start <= now() - make_interval(secs => $3) THEN now() ELSE rate_limits.window_start END
           + make_interval(secs => $3)
       RETURNING bucket, count, expires_at AS ends`,
      [sorted.map((f) => f.bucket), sorted.map((f) => f.by), windowSeconds],
    );
    return rows.map((r) => ({
      bucket: r.bucket,
      count: r.count,
      ends: new Date(r.ends).getTime(),
    }));
  }

  async read(buckets: readonly string[], windowSeconds: number): Promise<WindowCount[]> {
    const rows: { bucket: string; count: number; ends: Date }[] = await this.dataSource.query(
      `SELECT bucket, count, window_start + make_interval(secs => $2) AS ends FROM rate_limits
        WHERE bucket = ANY($1) AND window_start > now() - make_interval(secs => $2)`,
      [buckets, windowSeconds],
    );
    return rows.map((r) => ({
      bucket: r.bucket,
      count: r.count,
      ends: new Date(r.ends).getTime(),
    }));
  }

  async decrement(bucket: string, windowSeconds: number): Promise<number> {
    const rows: { count: number }[] = await this.dataSource.query(
      `UPDATE rate_limits SET count = greatest(count - 1, 0)
        WHERE bucket = $1 AND window_start > now() - make_interval(secs => $2) RETURNING count`,
      [bucket, windowSeconds],
    );
    return rows[0]?.count ?? 0;
  }

  async reset(bucket: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM rate_limits WHERE bucket = $1`, [bucket]);
  }

  async close(): Promise<void> {}
}

class RedisFailureStore implements FailureStore {
  constructor(private readonly redis: Redis) {}

  async incrementBy(
    failures: readonly NewFailures[],
    windowSeconds: number,
  ): Promise<WindowCount[]> {
    // INCRBY, then start the window's clock only if it has none (NX): one round trip for all.
    const batch = this.redis.multi();
    for (const { bucket, by } of failures) {
      const key = `empress:rl:${bucket}`;
      batch
        .incrby(key, by)
        .pexpire(key, windowSeconds * 1000, 'NX')
        .pttl(key);
    }
    const results = (await batch.exec()) ?? [];
    return failures.map(({ bucket }, i) => {
      const count = Number(results[i * 3]?.[1] ?? 1);
      const ttl = Number(results[i * 3 + 2]?.[1] ?? windowSeconds * 1000);
      return { bucket, count, ends: Date.now() + Math.max(ttl, 0) };
    });
  }

  async read(buckets: readonly string[]): Promise<WindowCount[]> {
    if (buckets.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const bucket of buckets) pipeline.get(`empress:rl:${bucket}`).pttl(`empress:rl:${bucket}`);
    const results = (await pipeline.exec()) ?? [];
    const out: WindowCount[] = [];
    buckets.forEach((bucket, i) => {
      const count = Number(results[i * 2]?.[1] ?? 0);
      const ttl = Number(results[i * 2 + 1]?.[1] ?? -2);
      if (count > 0 && ttl > 0) out.push({ bucket, count, ends: Date.now() + ttl });
    });
    return out;
  }

  async decrement(bucket: string): Promise<number> {
    // DECR on a missing (expired) key would create one with no expiry: only take back from a live window.
    const left = await this.redis.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then return math.max(redis.call('DECR', KEYS[1]), 0) else return 0 end`,
      1,
      `empress:rl:${bucket}`,
    );
    return Number(left);
  }

  async reset(bucket: string): Promise<void> {
    await this.redis.del(`empress:rl:${bucket}`);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export function createFailureStore(
  dataSource: DataSource,
  redisUrl: string | undefined,
): FailureStore {
  if (!redisUrl) return new PostgresFailureStore(dataSource);
  return new RedisFailureStore(new Redis(redisUrl, { maxRetriesPerRequest: 2 }));
}
