import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { notFound } from '../../errors';
import { requireId } from '../../validation';
import { User } from '../user/user.entity';
import { Membership } from './membership.entity';
import { PermissionGrant } from './permission-grant.entity';
import { Role } from './role.entity';

@Resolver(() => Membership)
export class MembershipResolver {
  @Mutation(() => Membership, {
    description:
      'Add an existing user to a team with a role, without asking them (teams invite people: inviteTeamMember).',
  })
  addTeamMember(
    @Arg('teamId', () => ID, { description: 'Team to add to.' }) teamId: string,
    @Arg('email', { description: 'Email of the user to add; the user must have an account.' })
    email: string,
    @Arg('roleId', () => ID, { description: 'Role of the team to give.' }) roleId: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<Membership> {
    return services.memberships.add(
      actor,
      requireId(teamId, 'teamId'),
      email,
      requireId(roleId, 'roleId'),
    );
  }

  @Mutation(() => Membership, {
    description: 'Give a member another role. A team always keeps at least one Owner.',
  })
  changeMemberRole(
    @Arg('membershipId', () => ID, { description: 'The membership to change.' })
    membershipId: string,
    @Arg('roleId', () => ID, { description: 'Role of the same team to give.' }) roleId: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<Membership> {
    return services.memberships.changeRole(
      actor,
      requireId(membershipId, 'membershipId'),
      requireId(roleId, 'roleId'),
    );
  }

  @Mutation(() => Boolean, {
    description:
      'Remove a member and their grants from the team. The last Owner cannot be removed.',
  })
  removeTeamMember(
    @Arg('membershipId', () => ID, { description: 'The membership to end.' }) membershipId: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.memberships.remove(actor, requireId(membershipId, 'membershipId'));
  }

  @Mutation(() => PermissionGrant, {
    description:
      'Give one member one permission on top of their role. You can only grant what you hold.',
  })
  grantPermission(
    @Arg('membershipId', () => ID, { description: 'The member to grant to.' }) membershipId: string,
    @Arg('permission', { description: 'A name from permissionCatalog, e.g. apiKeys:create.' })
    permission: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<PermissionGrant> {
    return services.memberships.grant(actor, requireId(membershipId, 'membershipId'), permission);
  }

  @Mutation(() => Boolean, { description: 'Take back a single-permission grant.' })
  revokePermissionGrant(
    @Arg('id', () => ID, { description: 'Id of the grant.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.memberships.revokeGrant(actor, requireId(id, 'id'));
  }

  @FieldResolver(() => User, { description: 'The member.' })
  async user(@Root() membership: Membership, @Ctx() { loaders }: GraphQLContext): Promise<User> {
    return (await loaders.user.load(membership.userId)) ?? Promise.reject(notFound('User'));
  }

  @FieldResolver(() => Role, { description: "The member's role in the team." })
  async role(@Root() membership: Membership, @Ctx() { loaders }: GraphQLContext): Promise<Role> {
    return (await loaders.role.load(membership.roleId)) ?? Promise.reject(notFound('Role'));
  }

  @FieldResolver(() => [PermissionGrant], {
    description: 'Single permissions given to the member on top of the role.',
  })
  grants(
    @Root() membership: Membership,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<PermissionGrant[]> {
    return loaders.grantsByMembership.load(membership.id);
  }
}

@Resolver(() => PermissionGrant)
export class PermissionGrantResolver {
  @FieldResolver(() => User, { description: 'The member who holds the grant.' })
  async user(@Root() grant: PermissionGrant, @Ctx() { loaders }: GraphQLContext): Promise<User> {
    const membership = await loaders.membership.load(grant.membershipId);
    const user = membership && (await loaders.user.load(membership.userId));
    return user ?? Promise.reject(notFound('User'));
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: 'Who granted it; null if that account is gone.',
  })
  async grantedBy(
    @Root() grant: PermissionGrant,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<User | null> {
    return grant.grantedById ? loaders.user.load(grant.grantedById) : null;
  }
}
