import { addressBucket } from './address-bucket';
import { FailureLimiter } from './failure-limiter';
import type { FailureStore } from './failure-store';

export interface SignUpFigures {
  perAddress: number;
  total: number;
  windowSeconds: number;
}

/**
 * Sign-ups that get as far as hashing a password, counted per address and over the whole
 * service in the shared store, so the limits hold across instances. Each sign-up is counted
 * before its password is hashed (concurrent ones can't all pass one check of the count), and
 * one refused by either limit is not counted at all.
 */
export class SignUpLimits {
  private readonly address: FailureLimiter;
  private readonly total: FailureLimiter;

  constructor(
    store: FailureStore,
    readonly figures: SignUpFigures,
  ) {
    this.address = new FailureLimiter(
      store,
      { max: figures.perAddress, windowSeconds: figures.windowSeconds },
      'signup',
    );
    this.total = new FailureLimiter(
      store,
      { max: figures.total, windowSeconds: figures.windowSeconds },
      'signup',
    );
  }

  /** Count one sign-up from `ip`; false when a limit refuses it. */
  async admit(ip: string | null): Promise<boolean> {
    const bucket = this.bucketOf(ip);
    // known to be over on this instance: refused without a query
    if (this.address.isBlocked([bucket]) || this.total.isBlocked(['total'])) return false;
    if (!(await this.address.reserve([bucket])).allowed) {
      await this.address.refund(bucket);
      return false;
    }
    if (!(await this.total.reserve(['total'])).allowed) {
      await Promise.all([this.total.refund('total'), this.address.refund(bucket)]);
      return false;
    }
    return true;
  }

  /** Give back a sign-up admitted but never tried (no turn to hash its password). */
  async giveBack(ip: string | null): Promise<void> {
    await Promise.all([this.address.refund(this.bucketOf(ip)), this.total.refund('total')]);
  }

  private bucketOf(ip: string | null): string {
    return `address:${addressBucket(ip)}`;
  }
}
