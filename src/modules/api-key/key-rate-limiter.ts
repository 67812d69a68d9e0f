import type { Logger } from 'pino';
import type { FailureStore } from '../../security/failure-store';
import type { RateLimit } from './rate-limit.types';

/** How often an instance adds its keys' requests to the shared counts, and learns the others'. */
export const SHARE_EVERY_MS = 200;

/** Whole seconds until `at` (never below 0), as Retry-After and the RateLimit header count them. */
export const secondsUntil = (at: Date): number =>
  Math.max(0, Math.ceil((at.getTime() - Date.now()) / 1000));

/** A key's window as this instance knows it. */
interface KeyWindow {
  limit: number;
  windowSeconds: number;
  /** the count every instance had shared when this one last asked */
  shared: number;
  /** requests taken here and not shared yet */
  pending: number;
  /** when the window ends (ms since epoch): the shared store's once it answered, a guess before */
  ends: number;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  windowSeconds: number;
  remaining: number;
  resetAt: Date;
}

/**
 * Per-key rate limits, held across instances without a round trip on the request path: each
 * instance decides from the count every instance had shared (as of its last sharing) plus what it
 * has taken since, and adds what it took to the shared count every 200 ms, in one statement for
 * all its keys (the failure store: PostgreSQL, or Redis with REDIS_URL), learning the others'
 * counts in the same answer. The window opens with the key's first request anywhere and is the
 * store's, so every instance counts in the same one.
 *
 * The price of no round trip: an instance decides from the shared count as of its last sharing
 * plus its own requests since, and holds at most a tenth of the limit unshared (it shares early
 * at half of that, and waits for the sharing only when it reaches it). An instance can be wrong
 * about the others only until its next sharing, so it lets a key past the limit by at most what
 * it holds unshared: a key gets at most a tenth of its limit more per instance taking its
 * requests (3 instances, limit 100: at most 130). One instance alone never lets it past.
 */
export class KeyRateLimiter {
  private readonly windows = new Map<string, KeyWindow>();
  private timer: NodeJS.Timeout | null = null;
  private sharing: Promise<void> | null = null;

  constructor(
    private readonly store: FailureStore,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /**
   * Takes `cost` requests from the key's window if they fit; where the key stands after. Answers
   * from memory while this instance's unshared requests stay under a tenth of the limit; past
   * half of that it starts sharing early, and only a key that reaches it waits for the sharing.
   */
  async take(keyId: string, rateLimit: RateLimit, cost = 1): Promise<RateDecision> {
    let window = this.windowOf(keyId, rateLimit);
    const budget = Math.max(1, Math.ceil(rateLimit.limit / 10));
    // twice at most: a sharing already under way may have left out what was taken meanwhile
    for (let tries = 0; tries < 2 && window.pending + cost > budget; tries++) {
      await this.share();
      window = this.windowOf(keyId, rateLimit);
    }
    if (window.pending + cost > budget / 2) void this.share();
    const used = window.shared + window.pending;
    const allowed = used + cost <= rateLimit.limit;
    if (allowed) window.pending += cost;
    return {
      allowed,
      limit: rateLimit.limit,
      windowSeconds: rateLimit.windowSeconds,
      remaining: Math.max(0, rateLimit.limit - used - (allowed ? cost : 0)),
      resetAt: new Date(window.ends),
    };
  }

  private windowOf(keyId: string, rateLimit: RateLimit): KeyWindow {
    const now = Date.now();
    let window = this.windows.get(keyId);
    if (!window || window.ends <= now || window.windowSeconds !== rateLimit.windowSeconds) {
      window = { ...rateLimit, shared: 0, pending: 0, ends: now + rateLimit.windowSeconds * 1000 };
      this.windows.set(keyId, window);
    }
    window.limit = rateLimit.limit;
    return window;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.share(), SHARE_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.share();
  }

  /**
   * Adds every key's pending requests to the shared counts, one statement per window length,
   * and keeps what the store answers: the count of every instance together, and the window's end.
   * Windows that ended are dropped. One sharing at a time.
   */
  async share(): Promise<void> {
    if (this.sharing) return this.sharing;
    this.sharing = this.shareNow().finally(() => (this.sharing = null));
    return this.sharing;
  }

  private async shareNow(): Promise<void> {
    const now = Date.now();
    const byLength = new Map<number, { keyId: string; window: KeyWindow; sent: number }[]>();
    for (const [keyId, window] of this.windows) {
      if (window.ends <= now) {
        this.windows.delete(keyId);
        continue;
      }
      // a key with nothing new here costs no statement; its next request here brings the others'
      // count back within one interval
      if (window.pending === 0) continue;
      const batch = byLength.get(window.windowSeconds) ?? [];
      batch.push({ keyId, window, sent: window.pending });
      byLength.set(window.windowSeconds, batch);
    }
    for (const [windowSeconds, batch] of byLength) {
      try {
        const counts = await this.store.incrementBy(
          batch.map(({ keyId, sent }) => ({ bucket: bucketOf(keyId), by: sent })),
          windowSeconds,
        );
        const byBucket = new Map(counts.map((c) => [c.bucket, c]));
        for (const { keyId, window, sent } of batch) {
          const count = byBucket.get(bucketOf(keyId));
          window.pending -= sent;
          if (count) Object.assign(window, { shared: count.count, ends: count.ends });
        }
      } catch (error) {
        // Kept pending: they are added at the next sharing. Meanwhile each instance holds the
        // limit on its own count, which never lets a key past it by itself.
        this.logger.warn({ err: error }, 'key rate limits: sharing counts failed');
      }
    }
  }
}

const bucketOf = (keyId: string) => `key-rate:${keyId}`;
