import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../actor';
import { badInput } from '../../errors';
import { requireName } from '../../validation';
import { checkApplicationScope } from '../api-key/api-key-input';
import { ApiKey } from '../api-key/api-key.entity';
import { checkRateLimit } from '../api-key/rate-limit.types';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { lockTeam } from '../team/team-permissions';
import {
  ApiKeyPolicy,
  noRules,
  type ApiKeyPolicyInput,
  type ApplicationScope,
} from './api-key-policy.entity';

export const MAX_LIFETIME_DAYS = 3650;
export const MAX_APPLICATION_SCOPES = 200;
export const MAX_EXPIRING_WITHIN_DAYS = 365;
/** the most expiringApiKeys lists: the soonest, enough for a dashboard's attention list */
export const MAX_EXPIRING_KEYS = 500;

/** The values of a policy, as the audit log keeps them (old and new). */
const RULES = [
  'maxLifetimeDays',
  'requireExpiry',
  'requireAllowedIps',
  'allowedApplicationScopes',
  'defaultRateLimit',
  'applicationScopes',
] as const;

/**
 * A team's rules for its keys: read (no rules until the team sets some), changed by whoever holds
 * team:manage (the permission rules decide that first), with the old and new values in the audit
 * log. The key service asks `of` inside its own transaction when a key is created or changed.
 */
export class ApiKeyPolicyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async of(q: Pick<EntityManager, 'findOneBy'>, teamId: string): Promise<ApiKeyPolicy> {
    return (await q.findOneBy(ApiKeyPolicy, { teamId })) ?? noRules(teamId);
  }

  async set(actor: Actor, teamId: string, input: ApiKeyPolicyInput): Promise<ApiKeyPolicy> {
    const changes = checkPolicyInput(input);
    return this.dataSource.transaction(async (m) => {
      // one change of a team's rules at a time: the audit row's "before" is what was replaced
      await lockTeam(m, teamId);
      const policy = await this.of(m, teamId);
      const before = valuesOf(policy);
      Object.assign(policy, changes);
      const saved = await m.save(ApiKeyPolicy, policy);
      await this.audit.record(m, actor, {
        teamId,
        action: 'policy.changed',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Team',
        targetId: teamId,
        metadata: { changed: Object.keys(changes), before, after: valuesOf(saved) },
      });
      return saved;
    });
  }

  /** Active keys of the team that expire within `withinDays`, soonest first. */
  expiring(teamId: string, withinDays: number): Promise<ApiKey[]> {
    if (!Number.isInteger(withinDays) || withinDays < 1 || withinDays > MAX_EXPIRING_WITHIN_DAYS)
      throw badInput(`withinDays must be 1 to ${MAX_EXPIRING_WITHIN_DAYS}`, 'withinDays');
    return this.dataSource
      .getRepository(ApiKey)
      .createQueryBuilder('k')
      .where('k.team_id = :teamId AND k.revoked_at IS NULL', { teamId })
      .andWhere(`k.expires_at > now() AND k.expires_at <= now() + make_interval(days => :days)`, {
        days: withinDays,
      })
      .orderBy('k.expires_at', 'ASC')
      .addOrderBy('k.id', 'ASC')
      .limit(MAX_EXPIRING_KEYS)
      .getMany();
  }
}

const valuesOf = (policy: ApiKeyPolicy) =>
  Object.fromEntries(RULES.map((rule) => [rule, policy[rule]]));

/** The rules the input changes, checked; left out: unchanged, null: no such rule. */
function checkPolicyInput(input: ApiKeyPolicyInput): Partial<ApiKeyPolicy> {
  const changes: Partial<ApiKeyPolicy> = {};
  if (input.maxLifetimeDays !== undefined) {
    const days = input.maxLifetimeDays;
    if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_LIFETIME_DAYS))
      throw badInput(`maxLifetimeDays must be 1 to ${MAX_LIFETIME_DAYS}`, 'maxLifetimeDays');
    changes.maxLifetimeDays = days;
  }
  if (input.requireExpiry !== undefined) changes.requireExpiry = input.requireExpiry ?? false;
  if (input.requireAllowedIps !== undefined)
    changes.requireAllowedIps = input.requireAllowedIps ?? false;
  if (input.allowedApplicationScopes !== undefined)
    changes.allowedApplicationScopes =
      input.allowedApplicationScopes === null
        ? null
        : scopeNames(input.allowedApplicationScopes, 'allowedApplicationScopes');
  if (input.defaultRateLimit !== undefined)
    changes.defaultRateLimit =
      input.defaultRateLimit && checkRateLimit(input.defaultRateLimit, 'defaultRateLimit');
  if (input.applicationScopes !== undefined)
    changes.applicationScopes = catalogue(input.applicationScopes ?? []);
  return changes;
}

function scopeNames(names: readonly string[], field: string): string[] {
  if (names.length > MAX_APPLICATION_SCOPES)
    throw badInput(`${field} may hold at most ${MAX_APPLICATION_SCOPES} entries`, field);
  return [...new Set(names.map((name) => checkApplicationScope(name, field)))].sort();
}

function catalogue(entries: readonly ApplicationScope[]): ApplicationScope[] {
  const names = scopeNames(
    entries.map((e) => e.name),
    'applicationScopes',
  );
  if (names.length !== entries.length)
    throw badInput('applicationScopes names a scope twice', 'applicationScopes');
  return entries
    .map((e) => ({
      name: e.name.trim(),
      description: requireName(e.description, 'applicationScopes.description', 200),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
