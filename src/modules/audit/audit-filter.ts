import { badInput } from '../../errors';
import { isUuid, requireTime } from '../../validation';
import { AuditOutcome } from './audit-event.entity';

export interface AuditFilterInput {
  actions?: string[] | null;
  actorUserId?: string | null;
  apiKeyId?: string | null;
  targetId?: string | null;
  outcome?: AuditOutcome | null;
  from?: Date | null;
  to?: Date | null;
}

export interface SqlCondition {
  where: string;
  params: unknown[];
}

const ACTION = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/;

/**
 * The WHERE clause of a team's log with the filters of the contract, shared by the paged query
 * and the streamed export, so both answer the same question. Every condition is one of the
 * indexed (team_id, x, chain_seq) paths or a cheap filter on top of one.
 */
export function auditWhere(teamId: string, filter: AuditFilterInput = {}): SqlCondition {
  const conditions = ['e.team_id = $1'];
  const params: unknown[] = [teamId];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  const id = (value: string, field: string) => {
    if (!isUuid(value)) throw badInput(`${field} is not a valid id`, field);
    return value.toLowerCase();
  };
  if (filter.actions?.length) {
    if (
      filter.actions.length > 50 ||
      !filter.actions.every((a) => ACTION.test(a) && a.length <= 100)
    ) {
      throw badInput('actions must be dotted names such as apiKey.revoked (at most 50)', 'actions');
    }
    // One action: an equality, so the (team_id, action, chain_seq DESC) index hands the page over
    // in order. With = ANY(array) the planner can't count on that order: it reads every event
    // of that action in the team and sorts them, for every page.
    if (filter.actions.length === 1) add((p) => `e.action = ${p}`, filter.actions[0]);
    else add((p) => `e.action = ANY(${p})`, filter.actions);
  }
  if (filter.actorUserId)
    add((p) => `e.actor_user_id = ${p}`, id(filter.actorUserId, 'actorUserId'));
  if (filter.apiKeyId) add((p) => `e.api_key_id = ${p}`, id(filter.apiKeyId, 'apiKeyId'));
  if (filter.targetId) add((p) => `e.target_id = ${p}`, id(filter.targetId, 'targetId'));
  if (filter.outcome) {
    if (!Object.values(AuditOutcome).includes(filter.outcome))
      throw badInput('outcome is not an AuditOutcome', 'outcome');
    add((p) => `e.outcome = ${p}`, filter.outcome);
  }
  if (filter.from) add((p) => `e.occurred_at >= ${p}`, requireTime(filter.from, 'from'));
  if (filter.to) add((p) => `e.occurred_at < ${p}`, requireTime(filter.to, 'to'));
  return { where: conditions.join(' AND '), params };
}
