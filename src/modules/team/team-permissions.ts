import type { EntityManager } from 'typeorm';
import { forbidden } from '../../errors';
import {
  memberKey,
  memberPermissions,
  missingFrom,
  NOTHING,
  type Member,
  type PermissionSet,
} from '../../permissions/member-permissions';

/**
 * What another member holds in a team, read inside the caller's transaction (after the team
 * lock), so a check about them and the change it guards see the same data.
 */
export async function permissionsOfMember(
  m: EntityManager,
  member: Member,
): Promise<PermissionSet> {
  return (await memberPermissions(m, [member])).get(memberKey(member)) ?? NOTHING;
}

/**
 * Nobody hands out more than they hold: a role, a grant or a demotion may only involve
 * permissions the caller has itself. This is what stops an Admin from making anyone an Owner.
 */
export function assertHoldsAll(held: PermissionSet, wanted: Iterable<string>, what: string): void {
  if (missingFrom(held, wanted).length > 0)
    throw forbidden(`You can't ${what} with permissions you don't hold`);
}

/** Serialises membership changes of one team, so "at least one Owner" can't be raced away. */
export async function lockTeam(m: EntityManager, teamId: string): Promise<void> {
  await m.query(`SELECT 1 FROM teams WHERE id = $1 FOR UPDATE`, [teamId]);
}

export async function ownerCount(m: EntityManager, teamId: string): Promise<number> {
  const [row]: { n: number }[] = await m.query(
    `SELECT count(*)::int AS n FROM memberships mb JOIN roles r ON r.id = mb.role_id
      WHERE mb.team_id = $1 AND r.built_in AND r.name = 'Owner'`,
    [teamId],
  );
  return row.n;
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23505';
}
