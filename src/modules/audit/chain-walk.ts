import type { DataSource } from 'typeorm';
import type { HeavyWorkGate } from '../../capacity/heavy-work';
import type { AuditEvent } from './audit-event.entity';
import {
  AUDIT_CHAINS,
  hashEvent,
  PLATFORM_CHAIN,
  SECURITY_CHAIN,
  SECURITY_LOG,
  type ChainTables,
} from './audit-hash';
import { AUDIT_SELECT, type AuditRecord } from './audit-fields';
import { eventFromRow } from './audit-query.service';

const WALK_BATCH = 5_000;
// Events hashed in one slice of the event loop (~2 ms): a long walk never holds up other requests.
const HASHES_PER_SLICE = 100;

/** A link of a chain: an event's position and hash; the start of a chain is position 0, no hash. */
export interface ChainPoint {
  seq: bigint;
  hash: string | null;
}

export const CHAIN_START: ChainPoint = { seq: 0n, hash: null };

/**
 * Checks events one after another from a known link: each must carry the next number, link to
 * the hash of the one before, and hash to what it stores.
 */
export class ChainLinks {
  checked = 0;

  constructor(private last: ChainPoint) {}

  get point(): ChainPoint {
    return this.last;
  }

  /** null when the event continues the chain; otherwise what is wrong with it */
  next(event: AuditEvent): string | null {
    this.checked++;
    if (BigInt(event.chainSeq) !== this.last.seq + 1n) return 'an event is missing before this one';
    if (event.prevHash !== this.last.hash)
      return 'does not link to the event before it (removed, inserted or reordered)';
    if (hashEvent(event) !== event.hash) return 'its content does not match its hash (edited)';
    this.last = { seq: this.last.seq + 1n, hash: event.hash };
    return null;
  }

  /** Checks a batch in short slices of the event loop (gate.slice); the first broken event, if any. */
  async nextAll(
    events: AuditEvent[],
    gate: HeavyWorkGate,
  ): Promise<{ event: AuditEvent; reason: string } | null> {
    for (let from = 0; from < events.length; from += HASHES_PER_SLICE) {
      const found = await gate.slice(() => {
        for (const event of events.slice(from, from + HASHES_PER_SLICE)) {
          const reason = this.next(event);
          if (reason) return { event, reason };
        }
        return null;
      });
      if (found) return found;
    }
    return null;
  }
}

type Queryable = Pick<DataSource, 'query'>;

/** One hash chain: the tables of its events and head, its head's key, and the SQL that selects its events. */
export interface Chain {
  tables: ChainTables;
  key: string;
  where: string;
  params: unknown[];
}

/** A team's chain in the audit log; null: the platform chain (events of no team). */
export function teamChain(teamId: string | null): Chain {
  if (!teamId)
    return { tables: AUDIT_CHAINS, key: PLATFORM_CHAIN, where: 'e.team_id IS NULL', params: [] };
  const key = teamId.toLowerCase();
  return { tables: AUDIT_CHAINS, key, where: 'e.team_id = $1', params: [key] };
}

/** The platform security log: one chain of its own table. */
export const SECURITY_LOG_CHAIN: Chain = {
  tables: SECURITY_LOG,
  key: SECURITY_CHAIN,
  where: 'TRUE',
  params: [],
};

/** A chain's head (its newest event, as writers record it), or null for a chain with no event yet. */
export async function readChainHead(q: Queryable, chain: Chain): Promise<ChainPoint | null> {
  const [head]: { last_seq: string; last_hash: string }[] = await q.query(
    `SELECT last_seq, last_hash FROM ${chain.tables.heads} WHERE chain_key = $1`,
    [chain.key],
  );
  return head ? { seq: BigInt(head.last_seq), hash: head.last_hash || null } : null;
}

/**
 * The newest archived head of a chain (npm run audit:archive), where its walk starts; null when
 * none. Only the audit log's chains are archived.
 */
export async function readArchivedHead(q: Queryable, chain: Chain): Promise<ChainPoint | null> {
  if (chain.tables !== AUDIT_CHAINS) return null;
  const [row]: { archived_seq: string; archived_hash: string }[] = await q.query(
    `SELECT archived_seq, archived_hash FROM audit_chain_archives WHERE chain_key = $1 ORDER BY archived_seq DESC LIMIT 1`,
    [chain.key],
  );
  return row ? { seq: BigInt(row.archived_seq), hash: row.archived_hash } : null;
}

/**
 * Reads a chain's events after position `after` up to `through`, oldest first, in batches, each
 * as its own statement: no transaction is held for the walk. Rows up to a chain head read before
 * the walk can't change under it (the chain is append-only; new events land above the head).
 * Each batch is read with a place at the heavy-work gate, then handed to `onBatch`; the walk
 * stops when `onBatch` answers false.
 */
export async function walkChain(
  dataSource: DataSource,
  gate: HeavyWorkGate,
  chain: Chain,
  range: { after: bigint; through: bigint },
  onBatch: (events: AuditEvent[]) => Promise<boolean>,
): Promise<void> {
  const { where, params } = chain;
  let after = range.after;
  for (let more = after < range.through; more;) {
    const raw: AuditRecord[] = await gate.run(() =>
      dataSource.query(
        `SELECT ${AUDIT_SELECT} FROM ${chain.tables.events} e
          WHERE ${where} AND e.chain_seq > $${params.length + 1} AND e.chain_seq <= $${params.length + 2}
          ORDER BY e.chain_seq ASC LIMIT ${WALK_BATCH}`,
        [...params, after.toString(), range.through.toString()],
      ),
    );
    const batch = raw.map(eventFromRow);
    if (batch.length === 0) return;
    after = BigInt(batch[batch.length - 1].chainSeq);
    more = (await onBatch(batch)) && batch.length === WALK_BATCH;
  }
}
