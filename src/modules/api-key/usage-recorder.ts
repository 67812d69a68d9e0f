import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../../database-unavailable';
import { ActorType, AuditOutcome } from '../audit/audit-event.entity';
import { storedUserAgent, type AuditRow, type AuditService } from '../audit/audit.service';
import { PeriodicWriter } from '../audit/periodic-writer';
import { storable } from '../../validation';
import type { ApiKey } from './api-key.entity';

export interface KeyUse {
  apiKey: Pick<ApiKey, 'id' | 'teamId' | 'key'>;
  /** VALID, INVALID (wrong secret), EXPIRED, ... */
  code: string;
  /** graphql, verifyApiCredentials or authorize */
  via: string;
  operation?: string | null;
  requiredScopes?: string[];
  ip: string | null;
  /** a client address named by a caller not trusted to speak for clients: kept as its claim */
  claimedClientIp?: string | null;
  userAgent: string | null;
  requestId: string;
  /** the id the client gave its request (X-Request-Id, cleaned) */
  clientRequestId?: string | null;
}

const FLUSH_INTERVAL_MS = 1_000;
const MAX_BATCH = 1_000;
const MAX_QUEUE = 50_000;

/**
 * Traces every use of a key as an `apiKey.used` audit event and keeps lastUsedAt/lastUsedIp.
 *
 * Verification is the hot path, so nothing is written there: uses are queued in memory and
 * written in batches (one transaction per batch: the audit rows and the lastUsed update) every
 * second, or sooner when a batch is full. stop() flushes what is left. A crash loses at most the
 * uses queued since the last write began, about a second's worth (the queue is bounded at
 * MAX_QUEUE; past that, the oldest are dropped and counted in `dropped`).
 */
export class UsageRecorder extends PeriodicWriter {
  private queue: AuditRow[] = [];
  private lastUse = new Map<string, { at: Date; ip: string | null }>();
  dropped = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    logger: Logger,
  ) {
    super(FLUSH_INTERVAL_MS, logger);
  }

  get depth(): number {
    return this.queue.length;
  }

  record(use: KeyUse): void {
    const now = new Date();
    this.queue.push({
      id: randomUUID(),
      teamId: use.apiKey.teamId,
      occurredAt: now,
      action: 'apiKey.used',
      outcome: use.code === 'VALID' ? AuditOutcome.SUCCESS : AuditOutcome.DENIED,
      actorType: ActorType.API_KEY,
      actorUserId: null,
      actorApiKeyId: use.apiKey.id,
      actorLabel: use.apiKey.key,
      targetType: 'ApiKey',
      targetId: use.apiKey.id,
      ip: use.ip,
      userAgent: storedUserAgent(use.userAgent),
      requestId: use.requestId,
      metadata: {
        code: use.code,
        via: use.via,
        ...(use.operation ? { operation: storable(use.operation.slice(0, 200)) } : {}),
        ...(use.requiredScopes?.length
          ? {
              requiredScopes: use.requiredScopes
                .slice(0, 50)
                .map((scope) => storable(scope.slice(0, 200))),
            }
          : {}),
        ...(use.claimedClientIp ? { claimedClientIp: use.claimedClientIp } : {}),
        ...(use.clientRequestId ? { clientRequestId: use.clientRequestId } : {}),
      },
    });
    if (use.code === 'VALID') this.lastUse.set(use.apiKey.id, { at: now, ip: use.ip });
    if (this.queue.length > MAX_QUEUE) {
      const excess = this.queue.length - MAX_QUEUE;
      this.queue.splice(0, excess);
      this.dropped += excess;
    }
    // A full batch goes at once, unless a write is under way: what it leaves waits for the tick.
    if (this.queue.length >= MAX_BATCH && !this.busy) void this.flush();
  }

  protected override hasWork(): boolean {
    return this.queue.length > 0 || this.lastUse.size > 0;
  }

  /**
   * Writes what is queued now. Uses that arrive during the write wait for the next tick (or a full
   * batch): under steady traffic, a write that chased them would go on in a stream of small
   * transactions instead of one batch a second. `untilEmpty` (shutdown) writes those too.
   */
  protected write(untilEmpty: boolean): Promise<void> {
    return this.writeUses(untilEmpty ? Infinity : this.queue.length);
  }

  /** Writes `count` queued uses (oldest first) in batches, then lastUsedAt/lastUsedIp. */
  private async writeUses(count: number): Promise<void> {
    let left = count;
    do {
      const batch = this.queue.splice(0, Math.min(left, MAX_BATCH));
      left -= batch.length;
      const uses = [...this.lastUse.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      this.lastUse.clear();
      // Two transactions, each taking one kind of lock: the audit rows take chain-head locks,
      // the lastUsed update takes key-row locks. Mutations take a key row and then a chain head;
      // doing both here in one transaction, in the other order, could deadlock.
      try {
        if (batch.length) await this.dataSource.transaction((m) => this.audit.append(m, batch));
      } catch (error) {
        // Anything but the database being away means some event of the batch can't be written:
        // write them one by one rather than retry a batch that will never pass (and hold up
        // every event behind it).
        const written = !isDatabaseUnavailable(error) && (await this.writeOneByOne(batch));
        if (!written) {
          // Database unavailable: put everything back and try again on the next tick.
          if (isDatabaseUnavailable(error)) this.queue.unshift(...batch);
          this.restoreLastUse(uses);
          this.logFailure('usage events not written; will retry', error);
          return;
        }
      }
      try {
        if (uses.length) {
          await this.dataSource.query(
            `UPDATE api_keys k SET last_used_at = u.at, last_used_ip = u.ip
               FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS u(id, at, ip)
              WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
            [uses.map(([id]) => id), uses.map(([, u]) => u.at), uses.map(([, u]) => u.ip)],
          );
        }
      } catch (error) {
        this.restoreLastUse(uses);
        this.logFailure('lastUsedAt not updated; will retry', error);
        return;
      }
    } while (left > 0 && (this.queue.length > 0 || this.lastUse.size > 0));
  }

  /** false when the database went away on the way (what is left is queued again) */
  private async writeOneByOne(batch: AuditRow[]): Promise<boolean> {
    for (let i = 0; i < batch.length; i++) {
      try {
        await this.dataSource.transaction((m) => this.audit.append(m, [batch[i]]));
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          this.queue.unshift(...batch.slice(i));
          return false;
        }
        this.dropped++;
        this.logFailure('usage event dropped: it cannot be written', error);
      }
    }
    return true;
  }

  private restoreLastUse(uses: [string, { at: Date; ip: string | null }][]): void {
    for (const [id, use] of uses) if (!this.lastUse.has(id)) this.lastUse.set(id, use);
  }
}
