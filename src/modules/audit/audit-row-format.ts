import type { AuditEvent } from './audit-event.entity';

/**
 * One audit event as a plain row: the columns of an export (NDJSON objects, CSV columns) and of
 * an archive file. It holds every hashed field (chainSeq and apiKeyId included), so each row of a
 * file can be hashed again and linked to the one before it, away from the service.
 */
export const AUDIT_ROW_COLUMNS = [
  'id', 'occurredAt', 'teamId', 'action', 'outcome', 'actorType', 'actorUserId', 'actorApiKeyId', 'actorLabel',
  'targetType', 'targetId', 'ip', 'userAgent', 'requestId', 'metadata', 'prevHash', 'hash', 'chainSeq', 'apiKeyId',
] as const;

export type AuditRowColumn = (typeof AUDIT_ROW_COLUMNS)[number];

export function auditRow(event: AuditEvent): Record<AuditRowColumn, unknown> {
  return {
    id: event.id,
    occurredAt: event.occurredAt.toISOString(),
    teamId: event.teamId,
    action: event.action,
    outcome: event.outcome,
    actorType: event.actorType,
    actorUserId: event.actorUserId,
    actorApiKeyId: event.actorApiKeyId,
    actorLabel: event.actorLabel,
    targetType: event.targetType,
    targetId: event.targetId,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    metadata: event.metadata,
    prevHash: event.prevHash,
    hash: event.hash,
    chainSeq: event.chainSeq,
    apiKeyId: event.apiKeyId,
  };
}
