import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { principalId, type Principal } from '../../auth/principal';
import type { AuditAction } from './audit-actions';
import { AuditOutcome } from './audit-event.entity';
import {
  actorFields,
  storedUserAgent,
  SYSTEM_ACTOR,
  type AuditRow,
  type AuditService,
} from './audit.service';
import { PeriodicWriter } from './periodic-writer';
import { SECURITY_CHAIN, SECURITY_LOG } from './audit-hash';
import { minuteOf, MinuteBuckets } from './minute-buckets';

/**
 * - security.mutationRefused: a mutation refused (or failed) for a caller with no stake in the
 *   team it named: anonymous, another team's user or key, or a team that does not exist;
 * - security.authRefused: credentials refused before anything ran (401), or a caller over its
 *   failure limit (429).
 * What comes past the per-minute cap is counted in one row of its own, security.overflow.
 */
export type SecurityAction = Extract<
  AuditAction,
  'security.mutationRefused' | 'security.authRefused'
>;

/** One refusal, as the security log counts it. */
export interface SecurityNote {
  action: SecurityAction;
  outcome: AuditOutcome.DENIED | AuditOutcome.FAILURE;
  principal: Principal;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
  clientRequestId: string | null;
  /** the error code answered */
  code: string;
  /** the team the request named, when one that exists */
  teamId?: string | null;
  /** what was refused: the mutation; the kind of credentials and the route */
  mutation?: string;
  credentialKind?: string;
  route?: string;
}

/** Counts by kind (codes, mutations, ...), each over a bounded set of names. */
type Tallies = Record<string, Record<string, number>>;

interface Bucket {
  minute: number;
  first: SecurityNote;
  firstAt: Date;
  lastAt: Date;
  count: number;
  tallies: Tallies;
  teams: string[];
  otherTeams: number;
  overflow: boolean;
}

const FLUSH_INTERVAL_MS = 5_000;
const MAX_BATCH = 500;
/** teams listed in one row; more are counted */
const MAX_TEAMS = 20;
/** minutes of counts kept while the database is away; older ones are dropped (and counted) */
const MAX_PENDING_MINUTES = 10;

/**
 * The platform security log: refusals of callers with no stake in a team, and refusals at
 * authentication. An attacker's flood must not grow it per request, so nothing is written per
 * request: refusals are counted in memory per minute, address, action, outcome and caller, and
 * each count is written as one row when its minute is over (FLUSH_INTERVAL_MS later at most), in
 * batches, on the security log's own hash chain. Past `maxRowsPerMinute` rows in a minute, the
 * rest is counted in one security.overflow row. A crash loses the counts of the current minute.
 */
export class SecurityLog extends PeriodicWriter {
  private buckets = new MinuteBuckets<Bucket>(MAX_PENDING_MINUTES, merged);
  private rowsOfMinute = new Map<number, number>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly maxRowsPerMinute: number,
    logger: Logger,
  ) {
    super(FLUSH_INTERVAL_MS, logger);
  }

  /** refusals dropped: kept past MAX_PENDING_MINUTES without a database to write them to */
  get dropped(): number {
    return this.buckets.dropped;
  }

  /** Counts one refusal. Synchronous and in memory: the cost of a refusal stays flat. */
  note(note: SecurityNote): void {
    const now = new Date();
    const minute = minuteOf(now.getTime());
    const key = [
      minute,
      note.action,
      note.outcome,
      note.ip,
      note.principal.type,
      principalId(note.principal),
    ].join('|');
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const rows = this.rowsOfMinute.get(minute) ?? 0;
      const overflow = rows >= this.maxRowsPerMinute;
      const bucketKey = overflow ? `${minute}|overflow` : key;
      bucket = this.buckets.get(bucketKey);
      if (!bucket) {
        bucket = {
          minute,
          first: note,
          firstAt: now,
          lastAt: now,
          count: 0,
          tallies: {},
          teams: [],
          otherTeams: 0,
          overflow,
        };
        this.buckets.set(bucketKey, bucket);
        if (!overflow) this.rowsOfMinute.set(minute, rows + 1);
      }
    }
    count(bucket, note, now);
  }

  /** Writes the counts of every minute that is over; `everything`: the current minute's too. */
  protected async write(everything: boolean): Promise<void> {
    const current = minuteOf(Date.now());
    for (const minute of this.rowsOfMinute.keys())
      if (minute < current) this.rowsOfMinute.delete(minute);
    const due = this.buckets.takeDue(everything);
    for (let i = 0; i < due.length; i += MAX_BATCH) {
      const batch = due.slice(i, i + MAX_BATCH);
      try {
        await this.dataSource.transaction((m) =>
          this.audit.appendToChain(
            m,
            SECURITY_LOG,
            SECURITY_CHAIN,
            batch.map(([, b]) => rowOf(b)),
          ),
        );
      } catch (error) {
        this.buckets.putBack(due.slice(i));
        this.logFailure('security log not written; will retry', error);
        return;
      }
    }
  }
}

function tally(tallies: Tallies, kind: string, name: string | undefined, by = 1): void {
  if (!name) return;
  const counts = (tallies[kind] ??= {});
  counts[name] = (counts[name] ?? 0) + by;
}

function count(bucket: Bucket, note: SecurityNote, now: Date): void {
  bucket.count++;
  bucket.lastAt = now;
  tally(bucket.tallies, 'codes', note.code);
  tally(bucket.tallies, 'mutations', note.mutation);
  tally(bucket.tallies, 'credentialKinds', note.credentialKind);
  tally(bucket.tallies, 'routes', note.route);
  if (bucket.overflow) tally(bucket.tallies, 'actions', note.action);
  if (note.teamId && !bucket.teams.includes(note.teamId)) {
    if (bucket.teams.length < MAX_TEAMS) bucket.teams.push(note.teamId);
    else bucket.otherTeams++;
  }
}

/** An older count put back after a failed write, and the newer one of the same key. */
function merged(older: Bucket, newer: Bucket): Bucket {
  for (const [kind, counts] of Object.entries(newer.tallies)) {
    for (const [name, n] of Object.entries(counts)) tally(older.tallies, kind, name, n);
  }
  for (const team of newer.teams) {
    if (older.teams.includes(team)) continue;
    if (older.teams.length < MAX_TEAMS) older.teams.push(team);
    else older.otherTeams++;
  }
  return {
    ...older,
    count: older.count + newer.count,
    lastAt: newer.lastAt,
    otherTeams: older.otherTeams + newer.otherTeams,
  };
}

/** One count as a row of the security log: the caller, address and request of its first refusal. */
function rowOf(bucket: Bucket): AuditRow {
  const { first, overflow } = bucket;
  return {
    id: randomUUID(),
    teamId:
      !overflow && bucket.teams.length === 1 && bucket.otherTeams === 0 ? bucket.teams[0] : null,
    occurredAt: bucket.firstAt,
    action: overflow ? 'security.overflow' : first.action,
    outcome: first.outcome,
    ...(overflow ? SYSTEM_ACTOR : actorFields(first.principal)),
    targetType: null,
    targetId: null,
    ip: overflow ? null : first.ip,
    userAgent: overflow ? null : storedUserAgent(first.userAgent),
    requestId: first.requestId,
    metadata: {
      count: bucket.count,
      minute: new Date(bucket.minute).toISOString(),
      lastAt: bucket.lastAt.toISOString(),
      ...bucket.tallies,
      ...(bucket.teams.length ? { teams: bucket.teams } : {}),
      ...(bucket.otherTeams ? { otherTeams: bucket.otherTeams } : {}),
      ...(!overflow && first.clientRequestId ? { clientRequestId: first.clientRequestId } : {}),
    },
  };
}
