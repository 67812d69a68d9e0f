import type { DataSource } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import type { AccountLockout } from './session.types';

/** myLockouts looks this far back */
export const LOCKOUT_DAYS = 30;
/** and lists at most this many, newest first */
export const MAX_LISTED_LOCKOUTS = 10;

interface LockoutRow {
  occurred_at: Date;
  ip: string | null;
  metadata: { lockedBy?: string; failures?: number; windowSeconds?: number } | null;
}

/**
 * The times a person's account was locked after failed sign-ins, read from the platform's audit
 * chain (auth.lockedOut rows aimed at the account). Without email this is how they learn of it:
 * the dashboard shows them, so someone guessing their password is not a secret kept from them.
 */
export class AccountLockouts {
  constructor(private readonly dataSource: DataSource) {}

  async mine(actor: Actor): Promise<AccountLockout[]> {
    const { user } = personOf(actor);
    // audit_events_team_target_idx: the platform chain (team NULL), this account
    const rows: LockoutRow[] = await this.dataSource.query(
      `SELECT occurred_at, ip, metadata FROM audit_events
        WHERE team_id IS NULL AND target_id = $1 AND action = 'auth.lockedOut'
          AND occurred_at > now() - make_interval(days => $2)
        ORDER BY chain_seq DESC LIMIT $3`,
      [user.id, LOCKOUT_DAYS, MAX_LISTED_LOCKOUTS],
    );
    return rows.map((row) => ({
      at: row.occurred_at,
      ip: row.ip,
      failures: row.metadata?.failures ?? 0,
      windowSeconds: row.metadata?.windowSeconds ?? 0,
      everyAddress: row.metadata?.lockedBy === 'account',
    }));
  }
}
