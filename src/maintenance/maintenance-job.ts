import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { purges, type Retention } from './retention';

/** Rows deleted per statement: short transactions, short row locks, whatever the backlog. */
const PURGE_BATCH = 5_000;

/** Taken for each batch; held by another instance's batch, this run is skipped. */
const LOCK = `SELECT pg_try_advisory_xact_lock(hashtext('empress.maintenance')) AS locked`;

/** Rows deleted per table in one run. */
export type PurgeReport = Record<string, number>;

/**
 * Deletes what is spent (expired sessions, failure counters whose window is over, and whatever
 * else retention.ts names), every `intervalSeconds`, starting with the service and stopping with
 * it. Every instance runs the job; a transaction-scoped advisory lock lets one purge at a time
 * (nothing to release if an instance dies), and the others skip their run.
 */
export class MaintenanceJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private closing = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly intervalSeconds: number,
    private readonly logger: Logger,
    private readonly entries: Required<Retention>[] = purges(),
  ) {}

  /** First run at once, then one every interval. */
  start(): void {
    this.closing = false;
    this.schedule(0);
  }

  /** No new run, no further batch; waits for the batch in progress. */
  async stop(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One run: rows deleted per table, or null when another instance was purging. */
  async runOnce(): Promise<PurgeReport | null> {
    const report: PurgeReport = {};
    for (const entry of this.entries) {
      try {
        const deleted = await this.purge(entry);
        if (deleted === null) return Object.keys(report).length ? report : null;
        report[entry.table] = deleted;
      } catch (error) {
        // one table's failure (the database away, a bad condition) must not stop the others
        this.logger.warn({ err: error, table: entry.table }, 'maintenance: purge failed');
      }
    }
    return report;
  }

  /** Deletes a table's spent rows batch by batch; null when the lock was taken. */
  private async purge({ table, spent }: Required<Retention>): Promise<number | null> {
    let total = 0;
    while (!this.closing) {
      const deleted = await this.dataSource.transaction(async (m) => {
        const [{ locked }]: { locked: boolean }[] = await m.query(LOCK);
        if (!locked) return null;
        // the condition again in the DELETE: a row brought back to life meanwhile (a new failure
        // window in rate_limits) is checked again as it is now, and kept
        const [{ n }]: { n: number }[] = await m.query(
          `WITH batch AS (SELECT ctid FROM ${table} WHERE ${spent} LIMIT ${PURGE_BATCH}),
                gone AS (DELETE FROM ${table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM batch)) AND (${spent}) RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
        );
        return n;
      });
      if (deleted === null) return total > 0 ? total : null;
      total += deleted;
      if (deleted < PURGE_BATCH) break;
    }
    return total;
  }

  private schedule(delayMs: number): void {
    if (this.closing) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .then((report) => {
          const deleted = Object.entries(report ?? {}).filter(([, n]) => n > 0);
          if (deleted.length)
            this.logger.info(
              { purged: Object.fromEntries(deleted) },
              'maintenance: purged spent rows',
            );
        })
        .finally(() => {
          this.running = null;
          this.schedule(this.intervalSeconds * 1000);
        });
    }, delayMs);
    this.timer.unref();
  }
}
