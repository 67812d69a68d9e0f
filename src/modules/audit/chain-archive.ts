import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { UNGATED } from '../../capacity/heavy-work';
import { OperationLeases } from '../../capacity/leases';
import { exportedRow } from './audit-fields';
import { AuditService, systemRow } from './audit.service';
import { chainWalkLease } from './chain-verifier';
import {
  CHAIN_START,
  ChainLinks,
  readArchivedHead,
  readChainHead,
  teamChain,
  walkChain,
  type ChainPoint,
} from './chain-walk';

export type ArchiveOutcome =
  | { kind: 'archived'; events: number; through: ChainPoint; fileSha256: string }
  | { kind: 'nothing'; reason: string }
  | { kind: 'broken'; position: string; reason: string };

/** A running check of the chain holds its lease: wait for it rather than fail. */
const WAIT_FOR_WALK_MS = 120_000;

/**
 * Archives the start of a team's chain (npm run audit:archive): the events that happened before
 * `before` (the longest run of them from the chain's start, or from its last archived head) are
 * checked, written to `file` as NDJSON (the rows of an export), and then deleted; the last one's
 * position and hash, with the file's SHA-256, are recorded in audit_chain_archives, where every
 * later walk starts: the first remaining event must link to that hash.
 *
 * audit_events refuses DELETE (a trigger). Only the table's owner may switch that trigger off,
 * and this does so only inside its own transaction, which also records the archived head and an
 * `audit.archived` event in the team's chain. The service's role, not the owner, can do neither.
 * Writers of audit events wait while that transaction runs (ALTER TABLE takes a lock that
 * conflicts with INSERT): a few seconds per 100,000 events archived.
 */
export async function archiveChain(
  dataSource: DataSource,
  teamId: string,
  before: Date,
  file: string,
): Promise<ArchiveOutcome> {
  // a team's chain only (the platform chain has no team row)
  const team: unknown[] = await dataSource.query(`SELECT 1 FROM teams WHERE id = $1`, [teamId]);
  if (!team.length) throw new Error('No team has this id');
  const lease = await new OperationLeases(dataSource).takeWaiting(
    chainWalkLease(teamChain(teamId)),
    WAIT_FOR_WALK_MS,
  );
  if (!lease)
    throw new Error('A check of this chain is still running; try again when it has finished');
  try {
    const start = (await readArchivedHead(dataSource, teamChain(teamId))) ?? CHAIN_START;
    const through = await archivePoint(dataSource, teamId, start, before);
    if (!through)
      return {
        kind: 'nothing',
        reason: 'no event of the chain happened before that time, or they are archived already',
      };
    const written = await writeArchive(dataSource, teamId, start, through, file);
    if (written.kind !== 'written') {
      await rm(file, { force: true });
      return written;
    }
    // Nothing was deleted unless this commits: a file for rows still in the table would only mislead.
    await recordAndDelete(
      dataSource,
      teamId,
      start,
      written.last,
      written.events,
      written.sha256,
      file,
    ).catch(async (error) => {
      await rm(file, { force: true });
      throw error;
    });
    return {
      kind: 'archived',
      events: written.events,
      through: written.last,
      fileSha256: written.sha256,
    };
  } finally {
    await lease.release();
  }
}

/** The position of the last event of the run from `start` whose events all happened before `before`; null when none. */
async function archivePoint(
  dataSource: DataSource,
  teamId: string,
  start: ChainPoint,
  before: Date,
): Promise<bigint | null> {
  const head = await readChainHead(dataSource, teamChain(teamId));
  if (!head) return null;
  const [{ kept }]: { kept: string | null }[] = await dataSource.query(
    `SELECT min(e.chain_seq)::text AS kept FROM audit_events e WHERE e.team_id = $1 AND e.chain_seq > $2 AND e.occurred_at >= $3`,
    [teamId, start.seq.toString(), before],
  );
  const through = kept === null ? head.seq : BigInt(kept) - 1n;
  return through > start.seq ? through : null;
}

type Written =
  | { kind: 'written'; events: number; last: ChainPoint; sha256: string }
  | { kind: 'broken'; position: string; reason: string };

/** Checks the events after `start` up to `through` while writing them to `file` (which must not exist yet), synced to disk. */
async function writeArchive(
  dataSource: DataSource,
  teamId: string,
  start: ChainPoint,
  through: bigint,
  file: string,
): Promise<Written> {
  const out = createWriteStream(file, { flags: 'wx' });
  await once(out, 'open');
  const sha256 = createHash('sha256');
  const links = new ChainLinks(start);
  let broken: { position: string; reason: string } | null = null;
  try {
    await walkChain(
      dataSource,
      UNGATED,
      teamChain(teamId),
      { after: start.seq, through },
      async (batch) => {
        const found = await links.nextAll(batch, UNGATED);
        if (found) {
          broken = { position: found.event.chainSeq, reason: found.reason };
          return false;
        }
        const text = batch.map((event) => `${JSON.stringify(exportedRow(event))}\n`).join('');
        sha256.update(text);
        if (!out.write(text)) await once(out, 'drain');
        return true;
      },
    );
  } finally {
    out.end();
    await once(out, 'close');
  }
  if (broken) return { kind: 'broken', ...(broken as { position: string; reason: string }) };
  if (links.point.seq !== through)
    return {
      kind: 'broken',
      position: (links.point.seq + 1n).toString(),
      reason: 'an event is missing',
    };
  const handle = await open(file, 'r+');
  await handle.sync();
  await handle.close();
  return {
    kind: 'written',
    events: links.checked,
    last: links.point,
    sha256: sha256.digest('hex'),
  };
}

async function recordAndDelete(
  dataSource: DataSource,
  teamId: string,
  start: ChainPoint,
  last: ChainPoint,
  events: number,
  fileSha256: string,
  file: string,
): Promise<void> {
  await dataSource.transaction(async (m) => {
    const [{ occurred_at }]: { occurred_at: Date }[] = await m.query(
      `SELECT occurred_at FROM audit_events WHERE team_id = $1 AND chain_seq = $2`,
      [teamId, last.seq.toString()],
    );
    await m.query(
      `INSERT INTO audit_chain_archives (chain_key, archived_seq, archived_hash, archived_occurred_at, event_count, file_sha256, file_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        teamId,
        last.seq.toString(),
        last.hash,
        occurred_at,
        events,
        fileSha256,
        path.basename(file),
      ],
    );
    // Off for this transaction only: nobody else ever sees the table without it.
    await m.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete`);
    const [, deleted]: [unknown, number] = await m.query(
      `DELETE FROM audit_events WHERE team_id = $1 AND chain_seq > $2 AND chain_seq <= $3`,
      [teamId, start.seq.toString(), last.seq.toString()],
    );
    await m.query(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete`);
    if (deleted !== events)
      throw new Error(`expected to delete ${events} archived events, found ${deleted}`);
    await new AuditService(dataSource).append(m, [
      systemRow({
        teamId,
        action: 'audit.archived',
        targetType: 'Team',
        targetId: teamId,
        requestId: randomUUID(),
        metadata: { archivedThroughPosition: last.seq.toString(), events, fileSha256 },
      }),
    ]);
  });
}
