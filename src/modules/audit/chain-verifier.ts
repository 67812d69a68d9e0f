import type { DataSource } from 'typeorm';
import type { HeavyWorkGate } from '../../capacity/heavy-work';
import type { OperationLeases } from '../../capacity/leases';
import { notFound, rateLimited } from '../../errors';
import {
  CHAIN_START,
  ChainLinks,
  readArchivedHead,
  readChainHead,
  walkChain,
  type Chain,
  type ChainPoint,
} from './chain-walk';

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

type Reporter = (fields: Partial<ChainReport>) => ChainReport;

/** A walk's report: valid unless said, and starting after the archived head when there is one. */
function reporter(anchor: ChainPoint | null): Reporter {
  return (fields) => ({
    valid: true,
    checkedEvents: 0,
    firstBrokenEventId: null,
    firstBrokenPosition: null,
    reason: null,
    archivedThroughPosition: anchor ? anchor.seq.toString() : null,
    ...fields,
  });
}

/** The lease that one walk of a chain holds, on every instance; archiving a chain takes it too. */
export function chainWalkLease(chain: Chain): string {
  return `chain-walk:${chain.tables.events}:${chain.key}`;
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

  /**
   * A team's chain (teamChain), the platform's or the security log's; waitMs: wait that long for a
   * running walk to end instead of refusing.
   */
  verify(chain: Chain, options: { waitMs?: number } = {}): Promise<ChainReport> {
    const name = chainWalkLease(chain);
    const running = this.running.get(name);
    if (running) return running;
    const walk = this.leased(chain, options.waitMs ?? 0).finally(() => this.running.delete(name));
    this.running.set(name, walk);
    return walk;
  }

  /** The newest link of a team's chain, to record elsewhere and compare later. */
  async head(teamId: string): Promise<ChainHead> {
    const [row]: { seq: string; hash: string; occurred_at: Date | null }[] =
      await this.dataSource.query(
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

  private async leased(chain: Chain, waitMs: number): Promise<ChainReport> {
    const name = chainWalkLease(chain);
    const lease =
      waitMs > 0 ? await this.leases.takeWaiting(name, waitMs) : await this.leases.take(name);
    if (!lease)
      throw rateLimited(
        'This audit chain is being checked right now; try again when that check has finished',
      );
    try {
      return await this.walk(chain);
    } finally {
      await lease.release();
    }
  }

  /**
   * The head first, then the events up to it: writers commit an event and the head together, so
   * every event up to the head read here is committed, and later ones land above it.
   */
  private async walk(chain: Chain): Promise<ChainReport> {
    const anchor = await readArchivedHead(this.dataSource, chain);
    const start = anchor ?? CHAIN_START;
    const report = reporter(anchor);
    const head = await readChainHead(this.dataSource, chain);
    if (!head) {
      // No head and no event: an empty chain. An event without a head: the head was removed.
      if (!(await this.eventAfter(chain, start))) return report({});
      if (!(await readChainHead(this.dataSource, chain)))
        return report({ valid: false, reason: 'the chain head is missing' });
      return this.walk(chain); // its first event arrived meanwhile
    }
    const leftOver = anchor && (await this.eventAtOrBefore(chain, anchor.seq));
    if (leftOver) {
      const reason = 'an event remains at or before the archived head';
      return report({
        valid: false,
        firstBrokenEventId: leftOver.id,
        firstBrokenPosition: leftOver.seq,
        reason,
      });
    }
    return this.checkLinks(chain, start, head, report);
  }

  /** Each event after `start` up to `head` carries the next number, links on and hashes to itself. */
  private async checkLinks(
    chain: Chain,
    start: ChainPoint,
    head: ChainPoint,
    report: Reporter,
  ): Promise<ChainReport> {
    const links = new ChainLinks(start);
    let broken: ChainReport | undefined;
    await walkChain(
      this.dataSource,
      this.gate,
      chain,
      { after: start.seq, through: head.seq },
      async (batch) => {
        const found = await links.nextAll(batch, this.gate);
        if (found) {
          const { event, reason } = found;
          broken = report({
            valid: false,
            checkedEvents: links.checked,
            firstBrokenEventId: event.id,
            firstBrokenPosition: event.chainSeq,
            reason,
          });
        }
        return !found;
      },
    );
    if (broken) return broken;
    if (links.point.seq !== head.seq || links.point.hash !== head.hash) {
      return report({
        valid: false,
        checkedEvents: links.checked,
        firstBrokenPosition: (links.point.seq + 1n).toString(),
        reason: 'events are missing at the end of the chain',
      });
    }
    return report({ checkedEvents: links.checked });
  }

  private async eventAfter(chain: Chain, point: ChainPoint): Promise<boolean> {
    const { where, params } = chain;
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM ${chain.tables.events} e WHERE ${where} AND e.chain_seq > $${params.length + 1} LIMIT 1`,
      [...params, point.seq.toString()],
    );
    return rows.length > 0;
  }

  private async eventAtOrBefore(
    chain: Chain,
    seq: bigint,
  ): Promise<{ id: string; seq: string } | null> {
    const { where, params } = chain;
    const [row]: { id: string; seq: string }[] = await this.dataSource.query(
      `SELECT e.id, e.chain_seq::text AS seq FROM ${chain.tables.events} e WHERE ${where} AND e.chain_seq <= $${params.length + 1}
        ORDER BY e.chain_seq LIMIT 1`,
      [...params, seq.toString()],
    );
    return row ?? null;
  }
}
