import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { preparedQuery } from '../prepared-query';
import type { ApiKey } from './api-key.entity';
import { nextRefillAt, periodStart } from './usage-credits.types';

/** A lease is at most this share of what a key has left... */
const LEASE_SHARE = 50;
/** ...and at most this many credits. */
const MAX_LEASE = 1_000;
/** Credits unused this long go back to the key. */
const IDLE_MS = 2_000;
/** A key found short of credits is not asked about again for this long (a flood of refusals costs no statements). */
const SHORT_RECHECK_MS = 1_000;

export interface CreditDecision {
  allowed: boolean;
  /** credits left after this request: the key's count as of this instance's last lease, plus its lease */
  remaining: number;
  /** when the key is next refilled; null for credits that never refill */
  refillAt: Date | null;
}

/** The credits this instance holds for one key. */
interface Lease {
  /** credits taken from the key and not yet used */
  held: number;
  /** what the key had left in the database after this instance's last statement */
  remaining: number;
  /** the key's lastRefillAt when the lease was taken: a lease from an older count is void */
  countSince: number;
  lastUsed: number;
  /** when the database last said the key could not cover a request */
  shortAt: number;
}

/**
 * Per-key credits, never below zero, with no round trip for most requests: an instance leases a
 * few credits at a time from the key's row (one atomic UPDATE under the row's lock) and spends them
 * from memory. A lease is a fiftieth of what the key has left, at most 1,000, and at least what
 * the request costs: big enough that a busy key costs one statement per 1,000 requests per
 * instance, small enough that leases strand at most 2 % of a key's credits per instance, and
 * near the end (under 50 left) exactly what each request costs, so the last credits go one by one
 * to whoever asks. Credits are taken out of the database when leased, so no two instances ever
 * spend the same one; the price is that an instance that dies loses its lease (at most 2 %).
 * Unused leases go back after 2 s idle and when the server stops.
 *
 * Refills happen in the same statement: the first lease taken in a new period (day or month,
 * UTC) sets the count to the refill amount, under the row lock, so exactly one instance refills.
 * Leases from the old period, and from before an admin set the credits, are dropped unspent.
 */
export class CreditLeases {
  private readonly leases = new Map<string, Lease>();
  private readonly fetching = new Map<string, Promise<number>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** Spends `cost` credits of the key if it has them; cost 0 checks the key without spending. */
  async take(key: ApiKey, cost: number): Promise<CreditDecision> {
    for (;;) {
      const lease = this.leaseOf(key);
      if (lease.held >= cost) {
        lease.held -= cost;
        lease.lastUsed = Date.now();
        return this.decision(key, lease, true);
      }
      const fetching = this.fetching.get(key.id);
      if (fetching) {
        await fetching;
        continue;
      }
      if (Date.now() - lease.shortAt < SHORT_RECHECK_MS && lease.held + lease.remaining < cost)
        return this.decision(key, lease, false);
      const granted = this.fetch(key, cost - lease.held);
      this.fetching.set(key.id, granted);
      try {
        if ((await granted) === 0) return this.decision(key, this.leaseOf(key), false);
      } finally {
        this.fetching.delete(key.id);
      }
    }
  }

  private decision(key: ApiKey, lease: Lease, allowed: boolean): CreditDecision {
    const interval = key.creditsRefillInterval;
    return {
      allowed,
      remaining: lease.remaining + lease.held,
      refillAt: interval ? nextRefillAt(interval, new Date()) : null,
    };
  }

  /** This instance's lease for the key; a new, empty one when the old is void. */
  private leaseOf(key: ApiKey): Lease {
    const lease = this.leases.get(key.id);
    const countSince = key.creditsLastRefillAt?.getTime() ?? 0;
    if (lease && lease.countSince >= countSince && !this.fromPastPeriod(key, lease)) return lease;
    const fresh = {
      held: 0,
      remaining: key.creditsRemaining ?? 0,
      countSince,
      lastUsed: Date.now(),
      shortAt: 0,
    };
    this.leases.set(key.id, fresh);
    return fresh;
  }

  private fromPastPeriod(key: ApiKey, lease: Lease): boolean {
    const interval = key.creditsRefillInterval;
    return interval !== null && lease.countSince < periodStart(interval, new Date()).getTime();
  }

  /**
   * Takes `need` credits or more (a lease) from the key's row, refilling it first if a new period
   * began; none if the key has fewer than `need`. Answers how many it took.
   */
  private async fetch(key: ApiKey, need: number): Promise<number> {
    const [row] = await preparedQuery<{ granted: number; remaining: number; since: Date | null }>(
      this.dataSource,
      `WITH k AS (
         SELECT id, credits_refill_amount, credits_remaining, credits_last_refill_at,
                credits_refill_interval IS NOT NULL AND credits_last_refill_at < date_trunc(
                  CASE credits_refill_interval WHEN 'DAILY' THEN 'day' ELSE 'month' END, now(), 'UTC'
                ) AS due
           FROM api_keys WHERE id = $1 AND credits_remaining IS NOT NULL FOR UPDATE
       ), g AS (
         SELECT id, due, available,
                CASE WHEN available < $2 THEN 0
                     ELSE LEAST(available, GREATEST($2, LEAST($3, ceil(available / $4::numeric)::int)))
                END AS granted
           FROM (SELECT *, CASE WHEN due THEN credits_refill_amount ELSE credits_remaining END
                             AS available FROM k) a
       )
       UPDATE api_keys t
          SET credits_remaining = g.available - g.granted,
              credits_last_refill_at = CASE WHEN g.due THEN date_trunc('milliseconds', now())
                                            ELSE t.credits_last_refill_at END
         FROM g WHERE t.id = g.id
       RETURNING g.granted, t.credits_remaining AS remaining, t.credits_last_refill_at AS since`,
      [key.id, need, MAX_LEASE, LEASE_SHARE],
    );
    // credits removed from the key since it was cached: nothing to lease
    if (!row) return 0;
    const since = row.since?.getTime() ?? 0;
    let lease = this.leaseOf(key);
    if (since > lease.countSince) {
      // a refill (here or elsewhere) or an admin started a new count: what was held is void
      lease = { ...lease, held: 0, countSince: since };
      this.leases.set(key.id, lease);
    }
    lease.held += row.granted;
    lease.remaining = row.remaining;
    lease.lastUsed = Date.now();
    if (row.granted === 0) lease.shortAt = Date.now();
    return row.granted;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.giveBack(Date.now() - IDLE_MS), IDLE_MS / 2);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.giveBack(Infinity);
  }

  /**
   * Returns the credits of leases unused since `idleSince` to their keys, if the keys' count is
   * still the one they were taken from (not refilled or set anew meanwhile).
   */
  private async giveBack(idleSince: number): Promise<void> {
    for (const [keyId, lease] of this.leases) {
      if (lease.lastUsed > idleSince || this.fetching.has(keyId)) continue;
      this.leases.delete(keyId);
      if (lease.held === 0) continue;
      try {
        await preparedQuery(
          this.dataSource,
          `UPDATE api_keys SET credits_remaining = credits_remaining + $2
            WHERE id = $1 AND credits_last_refill_at = $3`,
          [keyId, lease.held, new Date(lease.countSince)],
        );
      } catch (error) {
        this.logger.warn({ err: error }, 'key credits: returning a lease failed');
      }
    }
  }
}
