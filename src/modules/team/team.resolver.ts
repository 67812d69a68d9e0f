import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { PERMISSION_CATALOG } from '../../permissions/catalog';
import { notFound } from '../../errors';
import { requireId } from '../../validation';
import { Membership } from './membership.entity';
import { Role } from './role.entity';
import { Team } from './team.entity';
import { PermissionInfo } from './team.types';

@Resolver(() => Team)
export class TeamResolver {
  @Query(() => [Team], {
    description: 'Teams the caller belongs to (an API key: its own team; a platform admin: all).',
  })
  teams(@Ctx() { actor, services }: GraphQLContext): Promise<Team[]> {
    return services.teams.listFor(actor);
  }

  @Query(() => Team, { description: 'One team; NOT_FOUND for a team the caller is not part of.' })
  async team(
    @Arg('id', () => ID, { description: 'Id of the team.' }) id: string,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<Team> {
    // the rule that let the caller in has read the team already (loaders.ts)
    return (await loaders.team.load(requireId(id, 'id'))) ?? Promise.reject(notFound('Team'));
  }

  @Query(() => [PermissionInfo], {
    description: 'Every permission that roles, grants and API key scopes can name.',
  })
  permissionCatalog(): PermissionInfo[] {
    return PERMISSION_CATALOG.map((p) => ({ ...p }));
  }

  @Mutation(() => Team, {
    description: 'Create a team with the built-in roles; the caller becomes its Owner.',
  })
  createTeam(
    @Arg('name', { description: 'Name of the team, 1 to 100 characters.' }) name: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<Team> {
    return services.teams.create(actor, name);
  }

  @Mutation(() => Team, { description: 'Rename a team.' })
  updateTeam(
    @Arg('id', () => ID, { description: 'The team.' }) id: string,
    @Arg('name', { description: 'New name, 1 to 100 characters.' }) name: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<Team> {
    return services.teams.update(actor, requireId(id, 'id'), name);
  }

  @Mutation(() => Boolean, {
    description:
      "Leave a team you belong to; never the last Owner. The keys you own keep their application scopes but lose this API's permissions until someone takes them over.",
  })
  leaveTeam(
    @Arg('teamId', () => ID, { description: 'The team to leave.' }) teamId: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.memberships.leave(actor, requireId(teamId, 'teamId'));
  }

  @FieldResolver(() => [String], {
    description:
      "the permissions the caller holds in this team: its role's plus its grants (an API key: its API scopes that its owner holds now)",
  })
  async viewerPermissions(@Root() team: Team, @Ctx() { actor }: GraphQLContext): Promise<string[]> {
    return [...((await actor.access.permissionsIn(team.id)) ?? [])].sort();
  }

  @FieldResolver(() => [Membership], {
    description: 'Members of the team with their roles and grants. Needs members:read.',
  })
  async members(
    @Root() team: Team,
    @Ctx() { services, loaders }: GraphQLContext,
  ): Promise<Membership[]> {
    const members = await services.teams.members(team.id);
    // each member came with its user, role and grants: the fields below read them from here
    for (const { membership, user, role, grants } of members) {
      loaders.user.prime(user.id, user);
      loaders.role.prime(role.id, role);
      loaders.grantsByMembership.prime(membership.id, grants);
    }
    return members.map((m) => m.membership);
  }

  @FieldResolver(() => [Role], { description: 'Built-in and custom roles of the team.' })
  roles(@Root() team: Team, @Ctx() { services }: GraphQLContext): Promise<Role[]> {
    return services.teams.roles(team.id);
  }
}
