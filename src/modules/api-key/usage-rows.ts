import { randomUUID } from 'node:crypto';
import { ActorType, AuditOutcome } from '../audit/audit-event.entity';
import { storedUserAgent, type AuditRow } from '../audit/audit.service';
import type { MinuteBucket } from '../audit/minute-buckets';
import type { ApiKey } from './api-key.entity';

export interface KeyUse {
  apiKey: Pick<ApiKey, 'id' | 'teamId' | 'key'>;
  /** VALID, INVALID (wrong secret), EXPIRED, ... */
  code: string;
  /** graphql, verifyApiCredentials or authorize */
  via: string;
  /** the address the use counts for: the caller's, or the client a trusted gateway names */
  ip: string | null;
  userAgent: string | null;
  requestId: string;
  /** the id the client gave its request (X-Request-Id, cleaned) */
  clientRequestId?: string | null;
}

/** One key's uses in one minute: counts by address, answer (code) and route (via). */
export interface UsageBucket extends MinuteBucket {
  /** the minute's first use: its request is the row's */
  first: KeyUse;
  lastAt: Date;
  /** `address|code|via` -> uses */
  uses: Map<string, number>;
}

/** distinct address, code and route in one row; uses past it count under the address "other" */
const MAX_COMBINATIONS = 50;

export function tally(bucket: UsageBucket, use: KeyUse, at: Date, by = 1): void {
  bucket.count += by;
  bucket.lastAt = at;
  let name = `${use.ip ?? ''}|${use.code}|${use.via}`;
  if (!bucket.uses.has(name) && bucket.uses.size >= MAX_COMBINATIONS)
    name = `other|${use.code}|${use.via}`;
  bucket.uses.set(name, (bucket.uses.get(name) ?? 0) + by);
}

/** An older bucket put back after a failed write, and the newer one of the same key and minute. */
export function mergedUsage(older: UsageBucket, newer: UsageBucket): UsageBucket {
  for (const [name, n] of newer.uses) older.uses.set(name, (older.uses.get(name) ?? 0) + n);
  return { ...older, count: older.count + newer.count, lastAt: newer.lastAt };
}

/** Who acted in a key's rows: the key itself. */
function keyActor(
  use: KeyUse,
): Pick<
  AuditRow,
  'actorType' | 'actorUserId' | 'actorApiKeyId' | 'actorLabel' | 'targetType' | 'targetId'
> {
  return {
    actorType: ActorType.API_KEY,
    actorUserId: null,
    actorApiKeyId: use.apiKey.id,
    actorLabel: use.apiKey.key,
    targetType: 'ApiKey',
    targetId: use.apiKey.id,
  };
}

/**
 * A key's minute as an apiKey.used row: DENIED if any use was refused; the address, agent and
 * request of the first use; in `uses`, the counts by address, code and route, largest first.
 */
export function usageRow(bucket: UsageBucket): AuditRow {
  const { first } = bucket;
  const uses = [...bucket.uses.entries()]
    .map(([name, count]) => {
      const [address, code, via] = name.split('|');
      return { address: address || null, code, via, count };
    })
    .sort((a, b) => b.count - a.count);
  return {
    id: randomUUID(),
    teamId: first.apiKey.teamId,
    occurredAt: bucket.firstAt,
    action: 'apiKey.used',
    outcome: uses.every((u) => u.code === 'VALID') ? AuditOutcome.SUCCESS : AuditOutcome.DENIED,
    ...keyActor(first),
    ip: first.ip,
    userAgent: storedUserAgent(first.userAgent),
    requestId: first.requestId,
    metadata: {
      count: bucket.count,
      minute: new Date(bucket.minute).toISOString(),
      lastAt: bucket.lastAt.toISOString(),
      uses,
      ...(first.clientRequestId ? { clientRequestId: first.clientRequestId } : {}),
    },
  };
}

/** The first use of a key (with its right secret) from an address it was never used from. */
export function newAddressRow(use: KeyUse, at: Date): AuditRow {
  return {
    id: randomUUID(),
    teamId: use.apiKey.teamId,
    occurredAt: at,
    action: 'apiKey.usedFromNewAddress',
    outcome: use.code === 'VALID' ? AuditOutcome.SUCCESS : AuditOutcome.DENIED,
    ...keyActor(use),
    ip: use.ip,
    userAgent: storedUserAgent(use.userAgent),
    requestId: use.requestId,
    metadata: {
      code: use.code,
      via: use.via,
      ...(use.clientRequestId ? { clientRequestId: use.clientRequestId } : {}),
    },
  };
}
