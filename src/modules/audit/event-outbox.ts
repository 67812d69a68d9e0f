import type { EntityManager } from 'typeorm';
import { AUDIT_ACTIONS, isAuditAction, type AuditActionDescription } from './audit-actions';
import { AuditOutcome } from './audit-event.entity';
import type { AuditRow } from './audit.service';
import type { EventType } from './event-types';

/** A webhook event as it is stored and sent: the Standard Webhooks payload shape. */
export interface EventPayload {
  type: string;
  /** when it happened (ISO 8601, UTC) */
  timestamp: string;
  data: {
    teamId: string;
    /** who did it: a person, an API key or the service itself; never a secret */
    actor: { type: string; id: string | null; label: string | null };
    /** what it was done to */
    object: { type: string | null; id: string | null };
    /** the audit entry's details, as the team's log holds them */
    details: Record<string, unknown> | null;
    /** the audit entry this event comes from, to find it in the log */
    auditEventId: string;
  };
}

/** The event a written audit row sends, if its action has one and it succeeded in a team. */
export function eventOf(row: AuditRow): { teamId: string; payload: EventPayload } | null {
  // rows written outside the catalogue (tests append synthetic ones) send nothing
  const described: AuditActionDescription | undefined = isAuditAction(row.action)
    ? AUDIT_ACTIONS[row.action]
    : undefined;
  const event: EventType | undefined = described?.event;
  if (!event || !row.teamId || row.outcome !== AuditOutcome.SUCCESS) return null;
  return {
    teamId: row.teamId,
    payload: {
      type: event,
      timestamp: row.occurredAt.toISOString(),
      data: {
        teamId: row.teamId,
        actor: {
          type: row.actorType,
          id: row.actorUserId ?? row.actorApiKeyId,
          label: row.actorLabel,
        },
        object: { type: row.targetType, id: row.targetId },
        details: row.metadata,
        auditEventId: row.id,
      },
    },
  };
}

/**
 * The outbox: for each row that sends an event, the event and one pending delivery per enabled
 * endpoint of the team that subscribes to it, written in the caller's transaction (the one that
 * writes the change and its audit row). So an event exists exactly when its change committed:
 * none is lost if the process dies after the commit, none invented if the change rolls back. A
 * team with no endpoint for the event costs one statement and writes nothing.
 */
export async function enqueueEvents(manager: EntityManager, rows: readonly AuditRow[]) {
  for (const row of rows) {
    const event = eventOf(row);
    if (!event) continue;
    await manager.query(
      `WITH e AS (
         INSERT INTO webhook_events (team_id, type, payload)
         SELECT $1, $2, $3::jsonb
          WHERE EXISTS (SELECT 1 FROM webhook_endpoints
                         WHERE team_id = $1 AND enabled AND $2 = ANY(events))
         RETURNING id, team_id, type
       )
       INSERT INTO webhook_deliveries (event_id, endpoint_id, event_type, attempt, status, due_at)
       SELECT e.id, ep.id, e.type, 1, 'PENDING', now()
         FROM e JOIN webhook_endpoints ep
           ON ep.team_id = e.team_id AND ep.enabled AND e.type = ANY(ep.events)`,
      [event.teamId, event.payload.type, JSON.stringify(event.payload)],
    );
  }
}
