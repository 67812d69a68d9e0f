import type { EntityManager } from 'typeorm';
import { PERMISSIONS } from './catalog';

/** What a caller holds in one team: permission names from the catalogue. */
export type PermissionSet = ReadonlySet<string>;

const EVERYTHING: PermissionSet = new Set(PERMISSIONS);
export const NOTHING: PermissionSet = new Set();

export interface Member {
  teamId: string;
  userId: string;
}

export const memberKey = (member: Member): string => `${member.teamId}:${member.userId}`;

/**
 * Members' permissions (their role's plus their grants, as the view member_permissions defines
 * them), in one query for any number of (team, user) pairs. A pair that is not a membership is
 * absent from the answer.
 */
export async function memberPermissions(
  q: Pick<EntityManager, 'query'>,
  members: readonly Member[],
): Promise<Map<string, PermissionSet>> {
  if (members.length === 0) return new Map();
  const rows: { team_id: string; user_id: string; permissions: string[] }[] = await q.query(
    `SELECT team_id, user_id, permissions FROM member_permissions
      WHERE (team_id, user_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))`,
    [members.map((m) => m.teamId), members.map((m) => m.userId)],
  );
  return new Map(
    rows.map((r) => [memberKey({ teamId: r.team_id, userId: r.user_id }), new Set(r.permissions)]),
  );
}

/**
 * A person's permissions in a team: a platform admin acts as Owner in every team; a member holds
 * what its membership holds; anyone else holds nothing there (null: the team is not theirs to see).
 */
export function personPermissions(
  user: { isPlatformAdmin: boolean },
  membership: PermissionSet | null,
): PermissionSet | null {
  return user.isPlatformAdmin ? EVERYTHING : membership;
}

/** Nobody hands out more than they hold: the permissions of `wanted` that `held` lacks. */
export function missingFrom(held: PermissionSet, wanted: Iterable<string>): string[] {
  return [...wanted].filter((permission) => !held.has(permission));
}
