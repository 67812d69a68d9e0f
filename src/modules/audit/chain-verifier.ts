import type { DataSource } from 'typeorm';
import type { HeavyWorkGate } from '../../db/heavy-work';
import type { OperationLeases } from '../../db/leases';
import { notFound, rateLimited } from '../../errors';
import { PLATFORM_CHAIN } from './audit-hash';
import { CHAIN_START, chainCondition, ChainLinks, readArchivedHead, readChainHead, walkChain, type ChainPoint } from './chain-walk';

export interface ChainReport {
  valid: boolean;
  checkedEvents: number;
  firstBrokenEventId: string | null;
  firstBrokenPosition: string | null;
  reason: string | null;
  /** position of the last archived event the walk started after; null when nothing was archived */
  archivedThroughPosition: string | null;
}

export interface ChainHead {
  teamId: string;
  seq: string;
  hash: string;
  occurredAt: Date;
}

/** The lease that one walk of a chain holds, on every instance; archiving a chain takes it too. */
export function chainWalkLease(chainKey: string): string {
  return `audit-chain-walk:${chainKey}`;
}

/**
 * Checks the hash chains of the audit log. A walk can't go through the per-query cost limit (a
 * team with hundreds of thousands of events must stay checkable), so it has a rule of its own:
 * one walk per chain at a time across instances (a lease; a second caller on the same instance
 * shares the running walk's answer, one on another instance is answered RATE_LIMITED), read in
 * batches with no transaction held open, each batch taking a place at the heavy-work gate.
 */
export class ChainVerifier {
  private readonly running = new Map<string, Promise<ChainReport>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: HeavyWorkGate,
    private readonly leases: OperationLeases,
  ) {}

  /** teamId null: the platform chain. waitMs: wait that long for a running walk to end instead of refusing. */
  verify(teamId: string | null, options: { waitMs?: number } = {}): Promise<ChainReport> {
    const chainKey = (teamId ?? PLATFORM_CHAIN).toLowerCase();
    const running = this.running.get(chainKey);
    if (running) return running;
    const walk = this.leased(chainKey, options.waitMs ?? 0).finally(() => this.running.delete(chainKey));
    this.running.set(chainKey, walk);
    return walk;
  }

  /** The newest link of a team's chain, to record elsewhere and compare later. */
  async head(teamId: string): Promise<ChainHead> {
    const [row]: { seq: string; hash: string; occurred_at: Date | null }[] = await this.dataSource.query(
      `SELECT h.last_seq::text AS seq, h.last_hash AS hash, coalesce(e.occurred_at, a.archived_occurred_at) AS occurred_at
         FROM audit_chain_heads h
         LEFT JOIN audit_events e ON e.team_id = h.chain_key AND e.chain_seq = h.last_seq
         LEFT JOIN audit_chain_archives a ON a.chain_key = h.chain_key AND a.archived_seq = h.last_seq
        WHERE h.chain_key = $1`,
      [teamId],
    );
    if (!row?.occurred_at) throw notFound('Audit chain');
    return { teamId, seq: row.seq, hash: row.hash, occurredAt: row.occurred_at };
  }

  private async leased(chainKey: string, waitMs: number): Promise<ChainReport> {
    const name = chainWalkLease(chainKey);
    const lease = waitMs > 0 ? await this.leases.takeWaiting(name, waitMs) : await this.leases.take(name);
    if (!lease) throw rateLimited('This audit chain is being checked right now; try again when that check has finished');
    try {
      return await this.walk(chainKey);
    } finally {
      await lease.release();
    }
  }

  /**
   * The head first, then the events up to it: writers commit an event and the head together, so
   * every event up to the head read here is committed, and later ones land above it.
   */
  private async walk(chainKey: string): Promise<ChainReport> {
    const anchor = await readArchivedHead(this.dataSource, chainKey);
    const start = anchor ?? CHAIN_START;
    const report = (fields: Partial<ChainReport>): ChainReport => ({
      valid: true, checkedEvents: 0, firstBrokenEventId: null, firstBrokenPosition: null, reason: null,
      archivedThroughPosition: anchor ? anchor.seq.toString() : null, ...fields,
    });
    const head = await readChainHead(this.dataSource, chainKey);
    if (!head) {
      // No head and no event: an empty chain. An event without a head: the head was removed.
      if (!(await this.eventAfter(chainKey, start))) return report({});
      if (!(await readChainHead(this.dataSource, chainKey))) return report({ valid: false, reason: 'the chain head is missing' });
      return this.walk(chainKey); // its first event arrived meanwhile
    }
    const leftOver = anchor && (await this.eventAtOrBefore(chainKey, anchor.seq));
    if (leftOver) {
      const reason = 'an event remains at or before the archived head';
      return report({ valid: false, firstBrokenEventId: leftOver.id, firstBrokenPosition: leftOver.seq, reason });
    }
    const links = new ChainLinks(start);
    const outcome: { broken?: ChainReport } = {};
    await walkChain(this.dataSource, this.gate, chainKey, { after: start.seq, through: head.seq }, async (batch) => {
      const found = await links.nextAll(batch, this.gate);
      if (found) {
        const { event, reason } = found;
        const { checked } = links;
        outcome.broken = report({ valid: false, checkedEvents: checked, firstBrokenEventId: event.id, firstBrokenPosition: event.chainSeq, reason });
      }
      return !found;
    });
    if (outcome.broken) return outcome.broken;
    if (links.point.seq !== head.seq || links.point.hash !== head.hash) {
      return report({
        valid: false, checkedEvents: links.checked, firstBrokenPosition: (links.point.seq + 1n).toString(),
        reason: 'events are missing at the end of the chain',
      });
    }
    return report({ checkedEvents: links.checked });
  }

  private async eventAfter(chainKey: string, point: ChainPoint): Promise<boolean> {
    const { where, params } = chainCondition(chainKey);
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM audit_events e WHERE ${where} AND e.chain_seq > $${params.length + 1} LIMIT 1`,
      [...params, point.seq.toString()],
    );
    return rows.length > 0;
  }

  private async eventAtOrBefore(chainKey: string, seq: bigint): Promise<{ id: string; seq: string } | null> {
    const { where, params } = chainCondition(chainKey);
    const [row]: { id: string; seq: string }[] = await this.dataSource.query(
      `SELECT e.id, e.chain_seq::text AS seq FROM audit_events e WHERE ${where} AND e.chain_seq <= $${params.length + 1}
        ORDER BY e.chain_seq LIMIT 1`,
      [...params, seq.toString()],
    );
    return row ?? null;
  }
}
