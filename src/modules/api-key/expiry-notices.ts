import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import { systemRow } from '../audit/audit.service';

const EVERY_MS = 60_000;

interface Due {
  id: string;
  team_id: string;
  key: string;
  name: string;
  expires_at: Date;
  /** days before expiry this notice is for: 14, 7 or 1; 0 once expired */
  threshold: number;
}

/**
 * Tells a team that a key expires soon (14, 7 and 1 days before) and that it expired, once each:
 * an audit entry (apiKey.expiring, apiKey.expired) written by the service, which the team's
 * webhooks hear. Every instance looks once a minute; a notice is recorded in
 * api_key_expiry_notices in the same statement that finds it due, so one instance only writes it.
 * A key that was made with less time left gets the notices still ahead of it; a key that expired
 * more than a day before this started gets none.
 */
export class ExpiryNotices {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.runOnce(), EVERY_MS);
    this.timer.unref();
    void this.runOnce();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Writes the notices that are due; how many. */
  runOnce(): Promise<number> {
    this.running ??= this.notify()
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'expiry notices failed');
        return 0;
      })
      .finally(() => (this.running = null));
    return this.running;
  }

  private notify(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const due: Due[] = await m.query(
        `WITH due AS (
           SELECT id, team_id, key, name, expires_at,
                  CASE WHEN expires_at <= now() THEN 0
                       WHEN expires_at <= now() + interval '1 day' THEN 1
                       WHEN expires_at <= now() + interval '7 days' THEN 7
                       ELSE 14 END AS threshold
             FROM api_keys
            WHERE revoked_at IS NULL AND expires_at IS NOT NULL
              AND expires_at <= now() + interval '14 days'
              AND expires_at > now() - interval '1 day'
         ), fresh AS (
           INSERT INTO api_key_expiry_notices (api_key_id, threshold)
           SELECT id, threshold FROM due ON CONFLICT DO NOTHING
           RETURNING api_key_id, threshold
         )
         SELECT due.* FROM due
           JOIN fresh ON fresh.api_key_id = due.id AND fresh.threshold = due.threshold`,
      );
      if (due.length === 0) return 0;
      await this.audit.append(
        m,
        due.map((key) =>
          systemRow({
            teamId: key.team_id,
            action: key.threshold === 0 ? 'apiKey.expired' : 'apiKey.expiring',
            targetType: 'ApiKey',
            targetId: key.id,
            requestId: randomUUID(),
            metadata: {
              key: key.key,
              name: key.name,
              expiresAt: key.expires_at.toISOString(),
              ...(key.threshold ? { daysLeft: key.threshold } : {}),
            },
          }),
        ),
      );
      return due.length;
    });
  }
}
