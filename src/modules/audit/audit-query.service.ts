import type { DataSource } from 'typeorm';
import { UNGATED, type HeavyWorkGate } from '../../capacity/heavy-work';
import { badInput } from '../../errors';
import { requireTime } from '../../validation';
import { AuditEvent, AuditOutcome } from './audit-event.entity';
import type { AuditAction } from './audit-actions';
import { AUDIT_SELECT, type AuditRecord } from './audit-fields';
import { auditWhere, type AuditFilterInput } from './audit-filter';

export const MAX_AUDIT_PAGE = 500;
/** The longest period ApiKey.usage answers for, in days. */
export const MAX_USAGE_DAYS = 366;
/** Pages larger than this read through the heavy-work gate, as export batches and chain walks do. */
const HEAVY_PAGE = 100;
const EXPORT_BATCH = 1_000;
// written into the SQL, not a parameter: the partial index audit_events_key_usage_idx names it
const KEY_USED: AuditAction = 'apiKey.used';

interface WindowRange {
  low: string;
  high: string;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

export interface AuditPage {
  edges: { cursor: string; node: AuditEvent }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Reading the audit log: pages, streamed exports and per-key usage (the hash-chain check is
 * ChainVerifier's).
 *
 * Pages and exports walk a team's chain by chain_seq, newest first. chain_seq is handed out under
 * the team's chain lock, so a smaller number was always committed earlier: walking down from a
 * cursor never skips or repeats a row, however many events arrive meanwhile (they land above).
 */
export class AuditQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly gate: HeavyWorkGate = UNGATED,
  ) {}

  async page(
    teamId: string,
    filter: AuditFilterInput | null,
    first: number | null,
    after: string | null,
  ): Promise<AuditPage> {
    const requested = first ?? 50;
    if (!Number.isInteger(requested) || requested < 0)
      throw badInput('first must be 0 or more', 'first');
    const limit = Math.min(requested, MAX_AUDIT_PAGE);
    const statement = await this.pageStatement(
      teamId,
      filter ?? {},
      limit,
      after ? decodeCursor(after) : null,
    );
    const read = () => this.rows(statement!.sql, statement!.params);
    const rows = !statement ? [] : limit > HEAVY_PAGE ? await this.gate.run(read) : await read();
    const page = rows.slice(0, limit);
    const edges = page.map((node) => ({ cursor: encodeCursor(node.chainSeq), node }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  /**
   * The statement behind a page (one row more than `limit`, to tell whether there is a next
   * page); null when the time window holds no event. Public for the benchmark's EXPLAIN.
   */
  async pageStatement(
    teamId: string,
    filter: AuditFilterInput,
    limit: number,
    afterSeq: string | null,
  ): Promise<Statement | null> {
    const range = await this.windowRange(teamId, filter);
    return range === 'empty'
      ? null
      : this.walkStatement(teamId, filter, range, 'DESC', afterSeq, limit + 1);
  }

  /**
   * The filtered log, oldest first, in batches (keyset on chain_seq): memory stays the size of
   * one batch however long the log is. A time window's range is taken once, at the start: the
   * export is the window as it was then. Each batch is read with a place at the heavy-work gate.
   */
  async *batches(teamId: string, filter: AuditFilterInput): AsyncGenerator<AuditEvent[]> {
    const range = await this.windowRange(teamId, filter);
    if (range === 'empty') return;
    let last: string | null = null;
    for (;;) {
      const { sql, params } = this.walkStatement(teamId, filter, range, 'ASC', last, EXPORT_BATCH);
      const batch = await this.gate.run(() => this.rows(sql, params));
      if (batch.length) yield batch;
      if (batch.length < EXPORT_BATCH) return;
      last = batch[batch.length - 1].chainSeq;
    }
  }

  /**
   * A keyset walk of the filtered log in chain order, from past `after`, at most `limit` events.
   *
   * With a time window, the walk is held to the window's range of chain_seq (windowRange), and
   * the times are checked outside an optimisation fence (OFFSET 0). PostgreSQL can't know that
   * time and chain position go together; left to itself it gathers every event of the window
   * through the time index and sorts them, where walking the range in order finds the page at
   * once. Every other filter stays inside, on its own (team_id, x, chain_seq) index.
   */
  private walkStatement(
    teamId: string,
    filter: AuditFilterInput,
    range: WindowRange | null,
    order: 'ASC' | 'DESC',
    after: string | null,
    limit: number,
  ): Statement {
    // (the times were checked by windowRangeStatement, which runs first; the rest is checked here)
    const { from, to, ...rest } = filter;
    const base = auditWhere(teamId, rest);
    const params = [...base.params];
    const inner = [base.where];
    const outer: string[] = [];
    const add = (into: string[], sql: (p: string) => string, value: unknown) => {
      params.push(value);
      into.push(sql(`$${params.length}`));
    };
    if (after) add(inner, (p) => `e.chain_seq ${order === 'DESC' ? '<' : '>'} ${p}`, after);
    if (range) {
      add(inner, (p) => `e.chain_seq >= ${p}`, range.low);
      add(inner, (p) => `e.chain_seq <= ${p}`, range.high);
      if (from) add(outer, (p) => `e.occurred_at >= ${p}`, from);
      if (to) add(outer, (p) => `e.occurred_at < ${p}`, to);
    }
    params.push(limit);
    const walk = (select: string) =>
      `SELECT ${select} FROM audit_events e WHERE ${inner.join(' AND ')} ORDER BY e.chain_seq ${order}`;
    const limitTo = `LIMIT $${params.length}`;
    const sql = outer.length
      ? `SELECT ${AUDIT_SELECT} FROM (${walk('e.*')} OFFSET 0) e WHERE ${outer.join(' AND ')} ORDER BY e.chain_seq ${order} ${limitTo}`
      : `${walk(AUDIT_SELECT)} ${limitTo}`;
    return { sql, params };
  }

  /**
   * The range of chain_seq a time window's events lie in: null without a window, 'empty' when
   * no event is in it. Read exactly (windowRangeStatement): chain_seq follows the order of
   * writing, and a key use is written up to a second or so after it happened, so the range
   * can't be guessed from the times.
   */
  private async windowRange(
    teamId: string,
    filter: AuditFilterInput,
  ): Promise<WindowRange | 'empty' | null> {
    const statement = this.windowRangeStatement(teamId, filter);
    if (!statement) return null;
    const [{ low, high }]: { low: string | null; high: string | null }[] =
      await this.dataSource.query(statement.sql, statement.params);
    return low === null || high === null ? 'empty' : { low, high };
  }

  /**
   * The least and greatest chain_seq of a time window's events, from audit_events_team_time_idx
   * alone (it includes chain_seq); null without a window. Public for the benchmark's EXPLAIN.
   */
  windowRangeStatement(teamId: string, filter: AuditFilterInput): Statement | null {
    if (!filter.from && !filter.to) return null;
    const window = auditWhere(teamId, { from: filter.from, to: filter.to });
    // `+ 0`: with a bare min(chain_seq), PostgreSQL walks audit_events_team_seq_idx from one end
    // until it meets the window, which for an old window is most of the team's log.
    return {
      sql: `SELECT min(e.chain_seq + 0)::text AS low, max(e.chain_seq + 0)::text AS high FROM audit_events e WHERE ${window.where}`,
      params: window.params,
    };
  }

  /**
   * Uses of one key per UTC day and outcome, from its apiKey.used rows: each counts a minute's
   * uses by code (VALID is SUCCESS, any other DENIED); a row written before uses were counted per
   * minute stands for one use, with its own outcome.
   */
  async usage(
    apiKeyId: string,
    from: Date,
    to: Date,
  ): Promise<{ day: string; outcome: AuditOutcome; count: number }[]> {
    requireTime(from, 'from');
    requireTime(to, 'to');
    if (from >= to) throw badInput('from must be before to', 'from');
    if (to.getTime() - from.getTime() > MAX_USAGE_DAYS * 86_400_000)
      throw badInput(`the period may be at most ${MAX_USAGE_DAYS} days`, 'to');
    return this.dataSource.query(
      `SELECT to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day,
              CASE WHEN u.code IS NULL THEN e.outcome
                   WHEN u.code = 'VALID' THEN 'SUCCESS' ELSE 'DENIED' END AS outcome,
              sum(coalesce(u.count, 1))::int AS count
         FROM audit_events e
         LEFT JOIN LATERAL jsonb_to_recordset(e.metadata->'uses') AS u(code text, count int) ON true
        WHERE e.api_key_id = $1 AND e.action = '${KEY_USED}' AND e.occurred_at >= $2 AND e.occurred_at < $3
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [apiKeyId, from, to],
    );
  }

  private async rows(sql: string, params: unknown[]): Promise<AuditEvent[]> {
    const raw: AuditRecord[] = await this.dataSource.query(sql, params);
    return raw.map(eventFromRow);
  }
}

/** A row read with AUDIT_SELECT -> AuditEvent, without TypeORM's hydration cost (exports read millions). */
export function eventFromRow(row: AuditRecord): AuditEvent {
  return Object.assign(new AuditEvent(), row);
}

function encodeCursor(seq: string): string {
  return Buffer.from(`AuditEvent:${seq}`).toString('base64url');
}

// chain_seq is a bigint: a number above this one would fail inside the query, not as bad input
const MAX_SEQ = 2n ** 63n - 1n;

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^AuditEvent:(\d{1,19})$/.exec(decoded);
  if (!match || BigInt(match[1]) > MAX_SEQ)
    throw badInput('after is not a cursor of this log', 'after');
  return match[1];
}
