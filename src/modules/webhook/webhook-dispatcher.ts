import { randomInt, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import type { SecretBox } from '../../security/secret-box';
import { storable } from '../../validation';
import type { AuditService } from '../audit/audit.service';
import { systemRow } from '../audit/audit.service';
import { hydrate } from '../hydrate';
import { postJson } from './outbound-request';
import { signedHeaders } from './signature';
import { WebhookDelivery, WebhookDeliveryStatus } from './webhook-delivery.entity';

/**
 * Seconds after a failed attempt until the next: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each
 * ±20 % (jitter, so endpoints that failed together are not retried together): eight attempts over
 * about 27 hours, then the delivery has failed for good (it can still be sent again by hand).
 */
export const RETRY_DELAYS_SECONDS = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/** An endpoint whose every delivery failed for this long is turned off. */
export const DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;
const POLL_MS = 1_000;
const BATCH = 20;
/** An attempt claimed by an instance is left to it this long: far longer than a delivery takes. */
const CLAIM_SECONDS = 60;
/** What an attempt keeps of why it failed. */
const MAX_ERROR = 200;

/** A claimed attempt, with what sending it needs. */
export interface Claimed {
  row: Record<string, unknown>;
  payload: unknown;
  url: string;
  secretBox: string;
  previousSecretBox: string | null;
  previousSecretUntil: Date | null;
}

export function retryDelayMs(attempt: number): number | null {
  const seconds = RETRY_DELAYS_SECONDS[attempt - 1];
  if (seconds === undefined) return null;
  return Math.round(seconds * 1000 * (0.8 + randomInt(0, 401) / 1000));
}

/**
 * Sends the outbox: every second, each instance claims up to 20 due attempts in one statement
 * (FOR UPDATE SKIP LOCKED, then marked claimed for a minute), so two instances never send the
 * same attempt; it sends them at once, each on its own schedule (a failing event holds back
 * nothing), and records each answer. A failure schedules the next attempt as its own row; an
 * endpoint failing for five days is turned off, with an audit entry in the team's log.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly box: SecretBox,
    private readonly audit: AuditService,
    private readonly allowPrivate: boolean,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One round: claim what is due and send it. One round at a time per instance. */
  tick(): Promise<void> {
    this.running ??= this.sendDue()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'webhooks: a round failed'))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async sendDue(): Promise<void> {
    const claimed = await this.claim();
    await Promise.all(claimed.map((c) => this.send(c)));
  }

  private async claim(): Promise<Claimed[]> {
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `WITH c AS (
         UPDATE webhook_deliveries d SET claimed_until = now() + make_interval(secs => $2)
          WHERE d.id IN (
            SELECT id FROM webhook_deliveries w
             WHERE w.status = 'PENDING' AND w.due_at <= now()
               AND (w.claimed_until IS NULL OR w.claimed_until < now())
               AND EXISTS (SELECT 1 FROM webhook_endpoints ep WHERE ep.id = w.endpoint_id AND ep.enabled)
             ORDER BY w.due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING d.*
       )
       SELECT to_jsonb(c) AS delivery, e.payload, ep.url, ep.secret_box,
              ep.previous_secret_box, ep.previous_secret_until
         FROM c JOIN webhook_events e ON e.id = c.event_id
         JOIN webhook_endpoints ep ON ep.id = c.endpoint_id`,
      [BATCH, CLAIM_SECONDS],
    );
    return rows.map((r) => ({
      row: r.delivery as Record<string, unknown>,
      payload: r.payload,
      url: r.url as string,
      secretBox: r.secret_box as string,
      previousSecretBox: r.previous_secret_box as string | null,
      previousSecretUntil: r.previous_secret_until as Date | null,
    }));
  }

  /**
   * Sends one claimed attempt and records its answer; the attempt as it stands after. A failed
   * one is tried again on the schedule unless `retry` is false (a test event).
   */
  async send(claimed: Claimed, { retry = true } = {}): Promise<WebhookDelivery> {
    const delivery = hydrate(this.dataSource, WebhookDelivery, claimed.row);
    const body = JSON.stringify(claimed.payload);
    let status: number | null = null;
    let durationMs: number | null = null;
    let error: string | null = null;
    try {
      const headers = signedHeaders(this.secretsOf(claimed), delivery.eventId, body);
      ({ status, durationMs } = await postJson(claimed.url, body, headers, this.allowPrivate));
      if (status < 200 || status >= 300) error = `answered ${status}`;
    } catch (caught) {
      error = storable(String((caught as Error).message ?? caught).slice(0, MAX_ERROR));
    }
    return error === null
      ? this.succeeded(delivery, status!, durationMs!)
      : this.failed(delivery, { status, durationMs, error, retry });
  }

  /** The secrets that sign: the endpoint's, and for a day after a rotation the one before. */
  private secretsOf(claimed: Claimed): string[] {
    const secrets = [this.box.open(claimed.secretBox)];
    if (claimed.previousSecretBox && (claimed.previousSecretUntil?.getTime() ?? 0) > Date.now())
      secrets.push(this.box.open(claimed.previousSecretBox));
    return secrets;
  }

  private async succeeded(delivery: WebhookDelivery, status: number, durationMs: number) {
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `UPDATE webhook_deliveries SET status = 'SUCCEEDED', sent_at = now(), response_status = $2,
                duration_ms = $3, claimed_until = NULL WHERE id = $1`,
        [delivery.id, status, durationMs],
      );
      await m.query(
        `UPDATE webhook_endpoints SET failing_since = NULL
          WHERE id = $1 AND failing_since IS NOT NULL`,
        [delivery.endpointId],
      );
    });
    return Object.assign(delivery, {
      status: WebhookDeliveryStatus.SUCCEEDED,
      responseStatus: status,
      durationMs,
    });
  }

  private async failed(
    delivery: WebhookDelivery,
    answer: { status: number | null; durationMs: number | null; error: string; retry: boolean },
  ) {
    const { status, durationMs, error } = answer;
    const delay = answer.retry ? retryDelayMs(delivery.attempt) : null;
    const next = delay === null ? null : new Date(Date.now() + delay);
    await this.dataSource.transaction(async (m) => {
      await m.query(
        `UPDATE webhook_deliveries SET status = 'FAILED', sent_at = now(), response_status = $2,
                duration_ms = $3, error = $4, next_attempt_after_failure = $5, claimed_until = NULL
          WHERE id = $1`,
        [delivery.id, status, durationMs, error, next],
      );
      if (next)
        await m.query(
          `INSERT INTO webhook_deliveries (event_id, endpoint_id, event_type, attempt, status, due_at)
           VALUES ($1, $2, $3, $4, 'PENDING', $5)`,
          [delivery.eventId, delivery.endpointId, delivery.eventType, delivery.attempt + 1, next],
        );
      // an UPDATE answers [rows, count] through TypeORM
      const [[endpoint]]: [{ team_id: string; url: string; failing_since: Date }[]] = await m.query(
        `UPDATE webhook_endpoints SET failing_since = COALESCE(failing_since, now())
          WHERE id = $1 RETURNING team_id, url, failing_since, enabled`,
        [delivery.endpointId],
      );
      if (endpoint && Date.now() - endpoint.failing_since.getTime() >= DISABLE_AFTER_MS)
        await this.disable(m, delivery.endpointId, endpoint);
    });
    return Object.assign(delivery, {
      status: WebhookDeliveryStatus.FAILED,
      responseStatus: status,
      durationMs,
      error,
      nextAttemptAfterFailure: next,
    });
  }

  private async disable(
    m: EntityManager,
    endpointId: string,
    endpoint: { team_id: string; url: string; failing_since: Date },
  ) {
    const [[turnedOff]]: [unknown[]] = await m.query(
      `UPDATE webhook_endpoints SET enabled = false, disabled_at = now()
        WHERE id = $1 AND enabled RETURNING id`,
      [endpointId],
    );
    if (!turnedOff) return;
    await this.audit.append(m, [
      systemRow({
        teamId: endpoint.team_id,
        action: 'webhook.endpointDisabled',
        targetType: 'WebhookEndpoint',
        targetId: endpointId,
        requestId: randomUUID(),
        metadata: { url: endpoint.url, failingSince: endpoint.failing_since.toISOString() },
      }),
    ]);
  }
}
