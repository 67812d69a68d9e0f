import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../../database-unavailable';
import type { AuditService } from '../audit/audit.service';
import { minuteOf, MinuteBuckets } from '../audit/minute-buckets';
import { PeriodicWriter } from '../audit/periodic-writer';
import { KnownAddresses } from './known-addresses';
import {
  type KeyUse,
  mergedUsage,
  newAddressRow,
  tally,
  usageRow,
  type UsageBucket,
} from './usage-rows';

/** A use with the right secret from an address not known for its key (yet). */
interface AddressUse {
  use: KeyUse;
  at: Date;
}

const FLUSH_INTERVAL_MS = 1_000;
const MAX_BATCH = 1_000;
/** minutes of counts kept while the database is away; older ones are dropped (and counted) */
const MAX_PENDING_MINUTES = 10;
/** new addresses waiting to be checked; past it, more wait for the next use from them */
const MAX_ADDRESS_CHECKS = 10_000;

/**
 * Traces the use of keys without a write per use. Verification is the hot path, so it only
 * counts, in memory:
 * - per key and minute, uses by address, answer and route: one hash-chained `apiKey.used` row
 *   per key and minute (per instance), written in batches once the minute is over;
 * - lastUsedAt/lastUsedIp, written every second;
 * - a right secret from an address not known for the key: checked against api_key_addresses
 *   every second, and the first use from a truly new address is an `apiKey.usedFromNewAddress`
 *   event of its own (written once, whichever instance sees it first).
 * So the writes grow with keys × time, not with requests. stop() writes everything; a crash
 * loses the counts of the current minute (the request log still has each request).
 */
export class UsageRecorder extends PeriodicWriter {
  private readonly minutes = new MinuteBuckets<UsageBucket>(MAX_PENDING_MINUTES, mergedUsage);
  private lastUse = new Map<string, { at: Date; ip: string | null }>();
  private addressChecks = new Map<string, AddressUse>();
  private readonly known = new KnownAddresses();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    logger: Logger,
  ) {
    super(FLUSH_INTERVAL_MS, logger);
  }

  /** key-minutes counted and not yet written */
  get depth(): number {
    return this.minutes.size;
  }

  /** uses dropped: counted, but kept past MAX_PENDING_MINUTES without a database */
  get dropped(): number {
    return this.minutes.dropped;
  }

  /** Counts one use. Synchronous and in memory: a use costs no write of its own. */
  record(use: KeyUse): void {
    const at = new Date();
    const minute = minuteOf(at.getTime());
    const key = `${minute}|${use.apiKey.id}`;
    let bucket = this.minutes.get(key);
    if (!bucket) {
      bucket = { minute, first: use, firstAt: at, lastAt: at, count: 0, uses: new Map() };
      this.minutes.set(key, bucket);
    }
    tally(bucket, use, at);
    if (use.code === 'INVALID') return;
    if (use.code === 'VALID') this.lastUse.set(use.apiKey.id, { at, ip: use.ip });
    const { ip } = use;
    if (ip !== null && !this.known.has(use.apiKey.id, ip)) {
      const check = checkKey(use);
      if (!this.addressChecks.has(check) && this.addressChecks.size < MAX_ADDRESS_CHECKS)
        this.addressChecks.set(check, { use, at });
    }
  }

  protected override hasWork(): boolean {
    return this.minutes.size > 0 || this.lastUse.size > 0 || this.addressChecks.size > 0;
  }

  /** Every second: new addresses, lastUsedAt; the minutes that are over (`everything`: all). */
  protected async write(everything: boolean): Promise<void> {
    await this.attempt('new key addresses not written; will retry', () => this.writeNewAddresses());
    await this.attempt('lastUsedAt not written; will retry', () => this.writeLastUse());
    await this.writeMinutes(everything);
  }

  /** Runs one kind of write; a failure is logged and leaves the others to run. */
  private async attempt(message: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.logFailure(message, error);
    }
  }

  /**
   * Addresses first seen here. A batch refused for anything but the database being away holds a
   * check that can't be written: the others go one by one rather than wait behind it for ever.
   */
  private async writeNewAddresses(): Promise<void> {
    if (this.addressChecks.size === 0) return;
    const checks = [...this.addressChecks.values()];
    this.addressChecks = new Map();
    try {
      await this.recordAddresses(checks);
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        for (const check of checks) this.addressChecks.set(checkKey(check.use), check);
        throw error;
      }
      for (const check of checks) {
        await this.recordAddresses([check]).catch((e: unknown) =>
          this.logFailure('a new key address cannot be written: dropped', e),
        );
      }
    }
  }

  /**
   * The addresses the database did not know either are recorded, each with its audit event, in
   * one transaction (so an address is reported once, by one instance).
   */
  private async recordAddresses(checks: AddressUse[]): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      const fresh: { api_key_id: string; address: string }[] = await m.query(
        `INSERT INTO api_key_addresses (api_key_id, address, first_used_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])
         ON CONFLICT DO NOTHING RETURNING api_key_id, address`,
        [checks.map((c) => c.use.apiKey.id), checks.map((c) => c.use.ip), checks.map((c) => c.at)],
      );
      const isFresh = new Set(fresh.map((r) => `${r.api_key_id}|${r.address}`));
      const rows = checks
        .filter((c) => isFresh.has(checkKey(c.use)))
        .map((c) => newAddressRow(c.use, c.at));
      if (rows.length) await this.audit.append(m, rows);
    });
    for (const { use } of checks) this.known.add(use.apiKey.id, use.ip!);
  }

  /** lastUsedAt/lastUsedIp of the keys used since the last write; never moved backwards. */
  private async writeLastUse(): Promise<void> {
    if (this.lastUse.size === 0) return;
    const uses = [...this.lastUse.entries()];
    this.lastUse = new Map();
    try {
      await this.dataSource.query(
        `UPDATE api_keys k SET last_used_at = u.at, last_used_ip = u.ip
           FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS u(id, at, ip)
          WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
        [uses.map(([id]) => id), uses.map(([, u]) => u.at), uses.map(([, u]) => u.ip)],
      );
    } catch (error) {
      for (const [id, use] of uses) if (!this.lastUse.has(id)) this.lastUse.set(id, use);
      throw error;
    }
  }

  /** One apiKey.used row per key and minute that is over, in batches on the teams' chains. */
  private async writeMinutes(everything: boolean): Promise<void> {
    const due = this.minutes.takeDue(everything);
    for (let i = 0; i < due.length; i += MAX_BATCH) {
      const batch = due.slice(i, i + MAX_BATCH);
      try {
        await this.dataSource.transaction((m) =>
          this.audit.append(
            m,
            batch.map(([, b]) => usageRow(b)),
          ),
        );
      } catch (error) {
        const left = isDatabaseUnavailable(error) ? batch : await this.writeOneByOne(batch);
        if (left.length === 0) continue;
        this.minutes.putBack([...left, ...due.slice(i + MAX_BATCH)]);
        this.logFailure('key usage not written; will retry', error);
        return;
      }
    }
  }

  /**
   * A batch refused for anything but the database being away holds a row that can't be written:
   * the others go one by one rather than wait behind it for ever. Returns what is left when the
   * database went away on the way.
   */
  private async writeOneByOne(batch: [string, UsageBucket][]): Promise<[string, UsageBucket][]> {
    for (let i = 0; i < batch.length; i++) {
      const [, bucket] = batch[i];
      try {
        await this.dataSource.transaction((m) => this.audit.append(m, [usageRow(bucket)]));
      } catch (error) {
        if (isDatabaseUnavailable(error)) return batch.slice(i);
        this.minutes.dropped += bucket.count;
        this.logFailure('key usage dropped: it cannot be written', error);
      }
    }
    return [];
  }
}

/** A key and the address it was used from. */
function checkKey(use: KeyUse): string {
  return `${use.apiKey.id}|${use.ip}`;
}
