import { FailureLimiter } from './failure-limiter';
import { incrementOne } from './failure-store';

/** how often failures counted here are added to the shared counts */
const SHARE_INTERVAL_MS = 200;
/** buckets remembered; past it, those whose window ended are forgotten */
const MAX_BUCKETS = 100_000;

interface Count {
  /** the shared count, as of this instance's last write to it */
  shared: number;
  /** failures counted here since, not yet sent */
  pending: number;
  /** failures sent in a batch whose answer has not come back yet */
  sending: number;
  /** when the window ends (ms since epoch) */
  ends: number;
}

/**
 * A FailureLimiter for key verification, where a wrong secret must cost about what a right one
 * costs: a bucket's first failure in a window adds to the shared count at once (one round trip,
 * which tells this instance where the count stands); later ones are counted in memory and added
 * to the shared count in one batch every SHARE_INTERVAL_MS. The limit holds exactly on one
 * instance (the shared count plus this instance's own failures decides), and a failure that
 * reaches it is shared before it is answered, so every instance refuses from then on. What other
 * instances count in between can overshoot the limit by the failures of one interval each.
 */
export class BatchedFailureLimiter extends FailureLimiter {
  private readonly counts = new Map<string, Count>();
  private timer: NodeJS.Timeout | null = null;
  private sharing: Promise<void> = Promise.resolve();

  start(): void {
    this.timer ??= setInterval(() => void this.share(), SHARE_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.share();
  }

  override async recordFailure(buckets: readonly string[]): Promise<string[]> {
    const now = Date.now();
    const reached: string[] = [];
    const atLimit: string[] = [];
    for (const bucket of buckets) {
      const key = this.key(bucket);
      const count = this.counts.get(key);
      if (!count || count.ends <= now) {
        const { count: shared, ends } = await incrementOne(
          this.store,
          key,
          this.limit.windowSeconds,
        );
        const known = this.learn(key, shared, ends);
        if (shared === this.limit.max) reached.push(bucket);
        if (seen(known) >= this.limit.max) this.blockedUntil.set(key, ends);
        continue;
      }
      count.pending++;
      if (seen(count) === this.limit.max) reached.push(bucket);
      if (seen(count) >= this.limit.max) {
        this.blockedUntil.set(key, count.ends);
        atLimit.push(key);
      }
    }
    if (atLimit.length) await this.share();
    return reached;
  }

  /** Adds the failures counted here to the shared counts, one batch at a time. */
  share(): Promise<void> {
    this.sharing = this.sharing.then(() => this.writePending());
    return this.sharing;
  }

  private async writePending(): Promise<void> {
    const due = [...this.counts].filter(([, c]) => c.pending > 0);
    if (due.length === 0) return;
    const failures = due.map(([bucket, c]) => ({ bucket, by: c.pending }));
    for (const [, c] of due) {
      c.sending += c.pending;
      c.pending = 0;
    }
    try {
      const shared = await this.store.incrementBy(failures, this.limit.windowSeconds);
      for (const [, c] of due) c.sending = 0;
      for (const { bucket, count, ends } of shared) {
        const known = this.learn(bucket, count, ends);
        if (seen(known) >= this.limit.max) this.blockedUntil.set(bucket, ends);
      }
    } catch {
      // the store is away: keep the failures for the next batch (this instance still limits)
      for (const [, c] of due) {
        c.pending += c.sending;
        c.sending = 0;
      }
    }
  }

  /**
   * What the store said a bucket's shared count is. Answers to concurrent writes come back in any
   * order: a lower count than one already known is an older answer, and the failures still
   * pending here stay pending.
   */
  private learn(key: string, shared: number, ends: number): Count {
    const known = this.counts.get(key);
    if (known && known.ends > Date.now()) {
      known.shared = Math.max(known.shared, shared);
      return known;
    }
    const fresh = { shared, pending: 0, sending: 0, ends };
    this.remember(key, fresh);
    return fresh;
  }

  private remember(key: string, count: Count): void {
    if (this.counts.size >= MAX_BUCKETS) {
      const now = Date.now();
      for (const [k, c] of this.counts) if (c.ends <= now && c.pending === 0) this.counts.delete(k);
    }
    this.counts.set(key, count);
  }
}

/** The failures this instance knows of: the shared count, and its own not yet in it. */
function seen(count: Count): number {
  return count.shared + count.sending + count.pending;
}
