import { addressBucket } from './address-bucket';
import { FailureLimiter } from './failure-limiter';
import type { FailureStore } from './failure-store';

/**
 * Reports of leaked secrets (reportLeakedSecret) counted per calling address in the shared store,
 * so the limit holds across instances. Every report is counted before it is looked at, whatever
 * it turns out to be (counting only misses would tell a reporter which of its secrets were ours);
 * one refused by the limit is not counted. IPv6 addresses count by their /64.
 */
export class LeakReportLimits {
  private readonly address: FailureLimiter;

  constructor(store: FailureStore, max: number, windowSeconds: number) {
    this.address = new FailureLimiter(store, { max, windowSeconds }, 'leak-report');
  }

  /** Count one report from `ip`; false when the limit refuses it. */
  async admit(ip: string | null): Promise<boolean> {
    const bucket = `address:${addressBucket(ip)}`;
    // known to be over on this instance: refused without a query
    if (this.address.isBlocked([bucket])) return false;
    if ((await this.address.reserve([bucket])).allowed) return true;
    await this.address.refund(bucket);
    return false;
  }
}
