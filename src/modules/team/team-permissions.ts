import type { EntityManager } from 'typeorm';
import type { Actor } from '../../actor';
import { forbidden } from '../../errors';
import { ALL_PERMISSIONS } from '../../permissions/catalog';

/**
 * The caller's permissions in a team, read inside the mutation's transaction (not from the
 * request cache), so a check and the change it guards see the same data.
 */
export async function actorPermissionsIn(m: EntityManager, actor: Actor, teamId: string): Promise<Set<string>> {
  const p = actor.principal;
  if (p.type !== 'USER') return new Set();
  if (p.user.isPlatformAdmin) return new Set(ALL_PERMISSIONS);
  return memberPermissions(m, p.user.id, teamId);
}

export async function memberPermissions(m: EntityManager, userId: string, teamId: string): Promise<Set<string>> {
  const rows: { permissions: string[]; grants: string[] }[] = await m.query(
    `SELECT r.permissions,
            coalesce(array_agg(g.permission) FILTER (WHERE g.permission IS NOT NULL), '{}') AS grants
       FROM memberships mb
       JOIN roles r ON r.id = mb.role_id
       LEFT JOIN permission_grants g ON g.membership_id = mb.id
      WHERE mb.user_id = $1 AND mb.team_id = $2
      GROUP BY r.permissions`,
    [userId, teamId],
  );
  return rows.length ? new Set([...rows[0].permissions, ...rows[0].grants]) : new Set();
}

/**
 * Nobody hands out more than they hold: a role, a grant or a demotion may only involve
 * permissions the caller has itself. This is what stops an Admin from making anyone an Owner.
 */
export function assertHoldsAll(held: ReadonlySet<string>, wanted: Iterable<string>, what: string): void {
  for (const permission of wanted) {
    if (!held.has(permission)) throw forbidden(`You can't ${what} with permissions you don't hold`);
  }
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
