import { badInput } from '../../errors';
import { hasHiddenCharacters } from '../../hidden-characters';
import { requireTime } from '../../validation';
import type { SqlCondition } from '../audit/audit-filter';
import { ApiKeyStatus, RevocationReason } from './api-key.entity';

/** What a page of a team's keys may be narrowed to; every condition is optional. */
export interface ApiKeyFilter {
  status?: ApiKeyStatus | null;
  needsOwner?: boolean | null;
  /** part of the name (any case), or the public key or its beginning */
  search?: string | null;
  neverUsed?: boolean | null;
  expiresBefore?: Date | null;
  /** only keys revoked for this reason */
  revocationReason?: RevocationReason | null;
  revokedAfter?: Date | null;
}

const MAX_SEARCH = 100;

/** The key's owner is gone from its team (a platform admin never is): the key needs a new owner. */
const OWNER_LEFT = `NOT EXISTS (SELECT 1 FROM memberships m WHERE m.team_id = k.team_id AND m.user_id = k.owner_id)
  AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = k.owner_id AND u.is_platform_admin)`;

const STATUS_SQL: Record<ApiKeyStatus, string> = {
  [ApiKeyStatus.ACTIVE]: 'k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())',
  [ApiKeyStatus.EXPIRED]: 'k.revoked_at IS NULL AND k.expires_at <= now()',
  [ApiKeyStatus.REVOKED]: 'k.revoked_at IS NOT NULL',
};

/** The WHERE clause of a team's key list (table alias k), with its parameters from $1 (the team). */
export function apiKeyWhere(teamId: string, filter: ApiKeyFilter): SqlCondition {
  const conditions = ['k.team_id = $1'];
  const params: unknown[] = [teamId];
  const add = (sql: (p: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(`$${params.length}`));
  };
  if (filter.status) conditions.push(STATUS_SQL[filter.status]);
  if (filter.needsOwner != null)
    conditions.push(`${filter.needsOwner ? '' : 'NOT '}(${OWNER_LEFT})`);
  if (filter.neverUsed != null)
    conditions.push(`k.last_used_at IS ${filter.neverUsed ? '' : 'NOT '}NULL`);
  if (filter.expiresBefore)
    add((p) => `k.expires_at < ${p}`, requireTime(filter.expiresBefore, 'expiresBefore'));
  if (filter.revocationReason) add((p) => `k.revocation_reason = ${p}`, filter.revocationReason);
  if (filter.revokedAfter)
    add((p) => `k.revoked_at > ${p}`, requireTime(filter.revokedAfter, 'revokedAfter'));
  const search = searchTerm(filter.search);
  if (search) {
    params.push(`%${likeEscaped(search)}%`, `${likeEscaped(search)}%`);
    const [name, key] = [`$${params.length - 1}`, `$${params.length}`];
    conditions.push(`(k.name ILIKE ${name} OR k.key LIKE ${key})`);
  }
  return { where: conditions.join(' AND '), params };
}

/** The search text trimmed; empty means no search. */
function searchTerm(search: string | null | undefined): string | null {
  const term = search?.trim();
  if (!term) return null;
  if (term.length > MAX_SEARCH)
    throw badInput(`search is at most ${MAX_SEARCH} characters`, 'search');
  if (hasHiddenCharacters(term)) throw badInput('search holds invisible characters', 'search');
  return term;
}

/** A LIKE pattern matches the text itself: its wildcards and escape character are escaped. */
function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
