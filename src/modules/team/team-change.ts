import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../actor';
import { conflict } from '../../errors';
import type { ApiKeyChangeFeed, KeyChange } from '../api-key/api-key-change-feed';
import { Membership } from './membership.entity';

/** Call after changing who holds what in a team, inside the change's transaction. */
export type TeamChanged = (teamId: string) => Promise<void>;

/**
 * A change to a team's memberships, roles or grants: one transaction, told to every instance (the
 * key change feed) before it returns, so the keys its members own see it on their next request.
 * The request forgets what it had cached about the caller's permissions in the team.
 */
export function changeTeam<T>(
  dataSource: DataSource,
  feed: ApiKeyChangeFeed,
  actor: Actor,
  work: (m: EntityManager, changed: TeamChanged) => Promise<T>,
): Promise<T> {
  return feed.transaction(dataSource, (m, tell) =>
    work(m, async (teamId) => {
      actor.access.clear(teamId);
      await tell({ team: teamId } satisfies KeyChange);
    }),
  );
}

/** Puts a user in a team with a role, under the team lock (lockTeam); CONFLICT if already in it. */
export async function insertMembership(
  m: EntityManager,
  teamId: string,
  userId: string,
  roleId: string,
): Promise<Membership> {
  if (await m.exists(Membership, { where: { teamId, userId } }))
    throw conflict('This user is already a member of the team');
  return m.save(m.create(Membership, { teamId, userId, roleId }));
}
