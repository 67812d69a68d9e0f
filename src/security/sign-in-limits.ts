import { addressBucket } from './address-bucket';
import { FailureLimiter } from './failure-limiter';
import type { FailureStore } from './failure-store';

export interface SignInFigures {
  /** failures per account and address in a window: what locks one address out of one account */
  perAccountAndAddress: number;
  /** failures per address, whatever the account (password spraying) */
  perAddress: number;
  /** failures per account, whatever the address: the ceiling against guessing from many addresses */
  perAccount: number;
  windowSeconds: number;
}

/** Which limit an attempt took to its end. */
export type LockedBy = 'accountAndAddress' | 'accountAndAddressDay' | 'address' | 'account';

export interface Lockout {
  lockedBy: LockedBy;
  failures: number;
  windowSeconds: number;
}

/** One attempt, counted before its password is checked. */
export interface SignInAttempt {
  /** the limits this attempt reaches if it fails: a lockout starts with it (callers audit it) */
  reached: Lockout[];
  /** the password was right: the address starts afresh on this account, and the attempt is given back */
  succeeded(): Promise<void>;
  /** the password was never checked (no turn to hash): the attempt is given back */
  giveBack(): Promise<void>;
}

/** Backoff: an address that keeps failing on one account gets this many windows' worth a day, then nothing. */
const DAILY_WINDOWS = 3;
const DAY_SECONDS = 24 * 3600;

/**
 * Sign-in failures, counted where they can't lock out someone else:
 * - per account and address: guessing from one address locks that address out of that account
 *   only, for the rest of the window; the real user, elsewhere, is not affected;
 * - the same per day (backoff): an address that keeps failing on an account gets DAILY_WINDOWS
 *   windows' worth of attempts in 24 hours, then none until the day's window ends;
 * - per address: one address guessing across many accounts (spraying) is locked out of all;
 * - per account, a ceiling well above what one address can reach: guessing from many addresses
 *   locks the account for everyone, for the rest of the window.
 * Only attempts that ran count: an attempt refused by any limit is given back everywhere.
 */
export class SignInLimits {
  private readonly limiters: Record<LockedBy, FailureLimiter>;

  constructor(
    store: FailureStore,
    readonly figures: SignInFigures,
  ) {
    const { perAccountAndAddress, perAddress, perAccount, windowSeconds } = figures;
    this.limiters = {
      accountAndAddress: new FailureLimiter(
        store,
        { max: perAccountAndAddress, windowSeconds },
        'login',
      ),
      accountAndAddressDay: new FailureLimiter(
        store,
        { max: perAccountAndAddress * DAILY_WINDOWS, windowSeconds: DAY_SECONDS },
        'login',
      ),
      address: new FailureLimiter(store, { max: perAddress, windowSeconds }, 'login'),
      account: new FailureLimiter(store, { max: perAccount, windowSeconds }, 'login'),
    };
  }

  /**
   * Count one attempt of `email` (normalised) from `ip`, or null when a limit refuses it: then
   * nothing was counted and the password must not be checked. Counted before the check, so that
   * concurrent attempts can't all pass a check of the count and be tried at once.
   */
  async begin(email: string, ip: string | null): Promise<SignInAttempt | null> {
    const buckets = this.bucketsOf(email, ip);
    // one at a time, stopping at the first refusal: a locked attempt costs few queries and one connection
    for (const [by, bucket] of buckets)
      if (await this.limiters[by].isBlockedShared([bucket])) return null;
    const counted: [LockedBy, string][] = [];
    const giveBack = async () => {
      for (const [by, bucket] of counted) await this.limiters[by].refund(bucket);
    };
    const reached: Lockout[] = [];
    for (const [by, bucket] of buckets) {
      const count = await this.limiters[by].reserve([bucket]);
      counted.push([by, bucket]);
      if (!count.allowed) {
        await giveBack();
        return null;
      }
      if (count.reached.length > 0) reached.push(this.lockout(by));
    }
    return {
      reached,
      giveBack,
      succeeded: async () => {
        for (const [by, bucket] of buckets) {
          if (by === 'accountAndAddress' || by === 'accountAndAddressDay')
            await this.limiters[by].reset(bucket);
          else await this.limiters[by].refund(bucket);
        }
      },
    };
  }

  private bucketsOf(email: string, ip: string | null): [LockedBy, string][] {
    const address = addressBucket(ip);
    return [
      ['accountAndAddress', `pair:${email}|${address}`],
      ['accountAndAddressDay', `pair-day:${email}|${address}`],
      ['address', `address:${address}`],
      ['account', `account:${email}`],
    ];
  }

  private lockout(by: LockedBy): Lockout {
    const { max, windowSeconds } = this.limiters[by].limit;
    return { lockedBy: by, failures: max, windowSeconds };
  }
}
