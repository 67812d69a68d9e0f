import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../actor';
import { principalId, principalLabel, type Principal } from '../../auth/principal';
import { storable } from '../../validation';
import type { AuditAction } from './audit-actions';
import { ActorType, AuditOutcome } from './audit-event.entity';
import { enqueueEvents } from './event-outbox';
import {
  AUDIT_COLUMN_LIST,
  AUDIT_FIELDS,
  insertValues,
  type AuditRecord,
  type WrittenFields,
} from './audit-fields';
import {
  AUDIT_CHAINS,
  hashEvent,
  PLATFORM_CHAIN,
  sanitizeMetadata,
  type ChainTables,
} from './audit-hash';

/** What a service says about one event; the actor and request come from the Actor. */
export interface AuditEntry {
  teamId: string | null;
  action: AuditAction;
  outcome: AuditOutcome;
  targetType?: string | null;
  targetId?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** A fully described event, e.g. from the usage batcher where there is no Actor (the fields: AUDIT_FIELDS). */
export type AuditRow = Omit<WrittenFields, 'action'> & { action: AuditAction };

type ActorFields = Pick<AuditRow, 'actorType' | 'actorUserId' | 'actorApiKeyId' | 'actorLabel'>;

/** Who acted, as a row records it. */
export function actorFields(p: Principal): ActorFields {
  return {
    actorType: p.type as ActorType,
    actorUserId: p.type === 'USER' ? principalId(p) : null,
    actorApiKeyId: p.type === 'API_KEY' ? principalId(p) : null,
    actorLabel: principalLabel(p),
  };
}

/** The service itself, as the actor of what nobody asked for (start-up, archiving, counts). */
export const SYSTEM_ACTOR: ActorFields = {
  actorType: ActorType.SYSTEM,
  actorUserId: null,
  actorApiKeyId: null,
  actorLabel: null,
};

/** A client's User-Agent as a row keeps it: its start, as text PostgreSQL can store. */
export function storedUserAgent(userAgent: string | null | undefined): string | null {
  return userAgent ? storable(userAgent.slice(0, 512)) : null;
}

/** An event the service caused by itself, outside any request: SUCCESS, by SYSTEM, from no client. */
export function systemRow(
  event: Pick<AuditRow, 'teamId' | 'action' | 'requestId'> & Partial<AuditRow>,
): AuditRow {
  return {
    id: randomUUID(),
    occurredAt: new Date(),
    outcome: AuditOutcome.SUCCESS,
    ...SYSTEM_ACTOR,
    targetType: null,
    targetId: null,
    ip: null,
    userAgent: null,
    metadata: null,
    ...event,
  };
}

export function rowFromActor(actor: Actor, entry: AuditEntry): AuditRow {
  return {
    id: randomUUID(),
    teamId: entry.teamId,
    occurredAt: new Date(),
    action: entry.action,
    outcome: entry.outcome,
    ...actorFields(actor.principal),
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: actor.ip,
    userAgent: storedUserAgent(actor.userAgent),
    requestId: actor.requestId,
    metadata: withRequestMarks(actor, entry.metadata ? sanitizeMetadata(entry.metadata) : null),
  };
}

/**
 * A platform admin acts as Owner in every team: its rows say so, to be easy to find. The id the
 * client gave its request (X-Request-Id, cleaned) is kept beside the server's own.
 */
function withRequestMarks(
  actor: Actor,
  metadata: Record<string, unknown> | null,
): Record<string, unknown> | null {
  const p = actor.principal;
  const admin = p.type === 'USER' && p.user.isPlatformAdmin;
  const { clientRequestId } = actor;
  if (!admin && !clientRequestId) return metadata;
  return {
    ...(metadata ?? {}),
    ...(admin ? { actingAsPlatformAdmin: true } : {}),
    ...(clientRequestId ? { clientRequestId } : {}),
  };
}

/**
 * Appends to the hash-chained audit log, always inside the caller's transaction, so a change
 * and its audit row commit or roll back together.
 *
 * Each team has one chain. Its head row in audit_chain_heads is locked (FOR UPDATE, via the
 * upsert) until the transaction ends: concurrent writers of one team queue up and each links to
 * the row committed before it, so a chain can't fork; other teams are not held up.
 */
export class AuditService {
  /** told of every batch of rows in its transaction (the email notices, when email is set up) */
  onAppend: ((manager: EntityManager, rows: AuditRow[]) => Promise<void>) | null = null;

  constructor(private readonly dataSource: DataSource) {}

  async record(manager: EntityManager, actor: Actor, entry: AuditEntry): Promise<void> {
    await this.append(manager, [rowFromActor(actor, entry)]);
  }

  /** For events with no change to go with them (a refused mutation): a transaction of its own. */
  async recordAlone(actor: Actor, entry: AuditEntry): Promise<void> {
    await this.dataSource.transaction((m) => this.record(m, actor, entry));
  }

  async append(manager: EntityManager, rows: AuditRow[]): Promise<void> {
    const byChain = new Map<string, AuditRow[]>();
    for (const row of rows) {
      const key = row.teamId ?? PLATFORM_CHAIN;
      const chain = byChain.get(key);
      if (chain) chain.push(row);
      else byChain.set(key, [row]);
    }
    // Lock chains in a fixed order: two batches touching the same teams can't deadlock.
    for (const chainKey of [...byChain.keys()].sort()) {
      await this.appendToChain(manager, AUDIT_CHAINS, chainKey, byChain.get(chainKey)!);
    }
    // the team's webhooks, and people by email, hear of it in the same transaction (outboxes)
    await enqueueEvents(manager, rows);
    await this.onAppend?.(manager, rows);
  }

  /** Appends rows, in their order, to one chain of `tables` (a team's, or the security log's). */
  async appendToChain(
    manager: EntityManager,
    tables: ChainTables,
    chainKey: string,
    rows: AuditRow[],
  ): Promise<void> {
    const [head]: { last_seq: string; last_hash: string }[] = await manager.query(
      `INSERT INTO ${tables.heads} (chain_key, last_seq, last_hash) VALUES ($1, 0, '')
       ON CONFLICT (chain_key) DO UPDATE SET last_seq = ${tables.heads}.last_seq
       RETURNING last_seq, last_hash`,
      [chainKey],
    );
    let seq = BigInt(head.last_seq);
    let prevHash: string | null = head.last_hash || null;
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const row of rows) {
      seq += 1n;
      const linked = { ...row, chainSeq: seq.toString(), apiKeyId: keyOf(row), prevHash };
      const event: AuditRecord = { ...linked, hash: hashEvent(linked) };
      const base = values.length;
      values.push(...insertValues(event));
      tuples.push(`(${AUDIT_FIELDS.map((_, i) => `$${base + i + 1}`).join(', ')})`);
      prevHash = event.hash;
    }
    await manager.query(
      `INSERT INTO ${tables.events} (${AUDIT_COLUMN_LIST}) VALUES ${tuples.join(', ')}`,
      values,
    );
    await manager.query(
      `UPDATE ${tables.heads} SET last_seq = $2, last_hash = $3 WHERE chain_key = $1`,
      [chainKey, seq.toString(), prevHash],
    );
  }
}

/** The key an event concerns, as actor or as target. */
function keyOf(row: AuditRow): string | null {
  return row.actorApiKeyId ?? (row.targetType === 'ApiKey' ? row.targetId : null);
}
