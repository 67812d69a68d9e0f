import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { Actor } from '../../actor';
import { principalId } from '../../auth/principal';
import { AuditOutcome } from './audit-event.entity';
import { rowFromActor, type AuditService } from './audit.service';

const HOUR = 3_600_000;

interface Read {
  key: string;
  actor: Actor;
  adminId: string;
  teamId: string;
  hour: number;
}

/**
 * A platform admin sees every team; its reads of a team it is not a member of are recorded in that
 * team's log, as `team.readByPlatformAdmin`: one row per admin, team and hour, so reading stays
 * cheap. The first read of the hour inserts into platform_admin_reads (insert-once, so one row
 * whichever instance served it) and appends the audit row in the same transaction; reads arriving
 * together are written together. Later reads of the hour are known in memory and cost nothing.
 * A read whose row can't be written fails: no admin read goes unrecorded.
 */
export class PlatformAdminReads {
  private seen = new Set<string>();
  private seenHour = 0;
  private readonly writer: DataLoader<Read, void, string>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {
    this.writer = new DataLoader((reads) => this.write(reads), { cache: false, maxBatchSize: 500 });
  }

  /** The admin behind `actor` was allowed to read the team's data, as a platform admin. */
  async record(actor: Actor, teamId: string): Promise<void> {
    const adminId = principalId(actor.principal);
    if (!adminId) return;
    const hour = Math.floor(Date.now() / HOUR) * HOUR;
    if (hour !== this.seenHour) {
      this.seen.clear();
      this.seenHour = hour;
    }
    const key = `${adminId}:${teamId}`;
    if (this.seen.has(key)) return;
    await this.writer.load({ key, actor, adminId, teamId, hour });
    if (hour === this.seenHour) this.seen.add(key);
  }

  private async write(reads: readonly Read[]): Promise<void[]> {
    // one of each, in a fixed order: two instances inserting the same reads can't deadlock
    const unique = [...new Map(reads.map((r) => [`${r.hour}:${r.key}`, r])).values()].sort(
      (a, b) => (a.hour !== b.hour ? a.hour - b.hour : a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    await this.dataSource.transaction(async (m) => {
      const inserted: { admin_id: string; team_id: string; hour: Date }[] = await m.query(
        `INSERT INTO platform_admin_reads (admin_id, team_id, hour)
         SELECT admin_id, team_id, hour
           FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) WITH ORDINALITY AS r(admin_id, team_id, hour, n)
          ORDER BY n
         ON CONFLICT DO NOTHING RETURNING admin_id, team_id, hour`,
        [
          unique.map((r) => r.adminId),
          unique.map((r) => r.teamId),
          unique.map((r) => new Date(r.hour)),
        ],
      );
      const first = new Set(
        inserted.map((row) => `${row.hour.getTime()}:${row.admin_id}:${row.team_id}`),
      );
      const rows = unique
        .filter((r) => first.has(`${r.hour}:${r.key}`))
        .map((r) =>
          rowFromActor(r.actor, {
            teamId: r.teamId,
            action: 'team.readByPlatformAdmin',
            outcome: AuditOutcome.SUCCESS,
            targetType: 'Team',
            targetId: r.teamId,
            metadata: { hour: new Date(r.hour).toISOString() },
          }),
        );
      if (rows.length) await this.audit.append(m, rows);
    });
    return reads.map(() => undefined);
  }
}
