import type { Logger } from 'pino';

/**
 * What the usage recorder and the security log share: what the hot path hands them is kept in
 * memory and written on a timer, one write at a time; stop() writes what is left. A write that
 * fails keeps what it could not write for the next tick, and says so in the log.
 */
export abstract class PeriodicWriter {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  protected constructor(
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush(true);
  }

  /**
   * Writes what is due now; `everything`: what is still to come too (at shutdown, and for tests).
   * Concurrent calls share one write at a time.
   */
  async flush(everything = false): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.hasWork()) return;
    this.writing = this.write(everything).finally(() => (this.writing = null));
    await this.writing;
  }

  /** A write is under way. */
  protected get busy(): boolean {
    return this.writing !== null;
  }

  /** false: flush() has nothing to do */
  protected hasWork(): boolean {
    return true;
  }

  protected abstract write(everything: boolean): Promise<void>;

  protected logFailure(message: string, error: unknown): void {
    this.logger.error({ err: error }, message);
  }
}
