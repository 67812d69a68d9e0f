import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../actor';
import { principalId, principalLabel } from '../../auth/principal';
import { ActorType, AuditOutcome } from './audit-event.entity';
import { AUDIT_CHAINS, hashEvent, PLATFORM_CHAIN, sanitizeMetadata, type ChainTables } from './audit-hash';

/** What a service says about one event; the actor and request come from the Actor. */
export interface AuditEntry {
  teamId: string | null;
  action: string;
  outcome: AuditOutcome;
  targetType?: string | null;
  targetId?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** A fully described event, e.g. from the usage batcher where there is no Actor. */
export interface AuditRow {
  id: string;
  teamId: string | null;
  occurredAt: Date;
  action: string;
  outcome: AuditOutcome;
  actorType: ActorType;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  actorLabel: string | null;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
  metadata: Record<string, unknown> | null;
}

export function rowFromActor(actor: Actor, entry: AuditEntry): AuditRow {
  const p = actor.principal;
  return {
    id: randomUUID(),
    teamId: entry.teamId,
    occurredAt: new Date(),
    action: entry.action,
    outcome: entry.outcome,
    actorType: p.type as ActorType,
    actorUserId: p.type === 'USER' ? principalId(p) : null,
    actorApiKeyId: p.type === 'API_KEY' ? principalId(p) : null,
    actorLabel: principalLabel(p),
    targetType: entry.targetType ?? null,
    targetId: entry.targetId ?? null,
    ip: actor.ip,
    userAgent: actor.userAgent ? actor.userAgent.slice(0, 512) : null,
    requestId: actor.requestId,
    metadata: withRequestMarks(actor, entry.metadata ? sanitizeMetadata(entry.metadata) : null),
  };
}

/**
 * A platform admin acts as Owner in every team: its rows say so, to be easy to find. The id the
 * client gave its request (X-Request-Id, cleaned) is kept beside the server's own.
 */
function withRequestMarks(actor: Actor, metadata: Record<string, unknown> | null): Record<string, unknown> | null {
  const p = actor.principal;
  const admin = p.type === 'USER' && p.user.isPlatformAdmin;
  const { clientRequestId } = actor;
  if (!admin && !clientRequestId) return metadata;
  return { ...(metadata ?? {}), ...(admin ? { actingAsPlatformAdmin: true } : {}), ...(clientRequestId ? { clientRequestId } : {}) };
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
  }

  /** Appends rows, in their order, to one chain of `tables` (a team's, or the security log's). */
  async appendToChain(manager: EntityManager, tables: ChainTables, chainKey: string, rows: AuditRow[]): Promise<void> {
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
      const apiKeyId = row.actorApiKeyId ?? (row.targetType === 'ApiKey' ? row.targetId : null);
      const hash = hashEvent({ ...row, apiKeyId, chainSeq: seq.toString(), prevHash });
      const base = values.length;
      values.push(
        row.id, row.teamId, seq.toString(), row.occurredAt, row.action, row.outcome, row.actorType,
        row.actorUserId, row.actorApiKeyId, row.actorLabel, row.targetType, row.targetId, row.ip,
        row.userAgent, row.requestId, apiKeyId, row.metadata === null ? null : JSON.stringify(row.metadata), prevHash, hash,
      );
      tuples.push(`(${Array.from({ length: 19 }, (_, i) => `$${base + i + 1}`).join(', ')})`);
      prevHash = hash;
    }
    await manager.query(
      `INSERT INTO ${tables.events} (id, team_id, chain_seq, occurred_at, action, outcome, actor_type,
         actor_user_id, actor_api_key_id, actor_label, target_type, target_id, ip, user_agent,
         request_id, api_key_id, metadata, prev_hash, hash)
       VALUES ${tuples.join(', ')}`,
      values,
    );
    await manager.query(`UPDATE ${tables.heads} SET last_seq = $2, last_hash = $3 WHERE chain_key = $1`, [
      chainKey,
      seq.toString(),
      prevHash,
    ]);
  }
}
