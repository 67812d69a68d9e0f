import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { notFound } from '../../errors';
import { requireId } from '../../validation';
import { Membership } from '../team/membership.entity';
import { Team } from '../team/team.entity';
import { User } from '../user/user.entity';
import { Invitation, InvitationStatus } from './invitation.entity';
import { INVITATION_LIST_LIMIT } from './invitation.service';

@Resolver(() => Invitation)
export class InvitationResolver {
  @Query(() => [Invitation], {
    description:
      "Open invitations addressed to the signed-in user's email (compared without case), newest first.",
  })
  myInvitations(@Ctx() { actor, services }: GraphQLContext): Promise<Invitation[]> {
    return services.invitations.mine(actor);
  }

  @Mutation(() => Invitation, {
    description:
      'Invite someone by email to join the team with a role; they accept or decline once signed in with that email. ' +
      'The same answer whether or not the email has an account. The caller must hold every permission of the role. ' +
      'A second invitation to the same address renews the open one.',
  })
  inviteTeamMember(
    @Arg('teamId', () => ID, { description: 'The team to join.' }) teamId: string,
    @Arg('email', { description: 'The address to invite; it need not have an account yet.' })
    email: string,
    @Arg('roleId', () => ID, { description: 'Role of the same team to give on acceptance.' })
    roleId: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<Invitation> {
    return services.invitations.invite(
      actor,
      requireId(teamId, 'teamId'),
      email,
      requireId(roleId, 'roleId'),
    );
  }

  @Mutation(() => Membership, {
    description: 'Join the team of an open invitation addressed to you, with its role.',
  })
  acceptInvitation(
    @Arg('id', () => ID, { description: 'The invitation, from myInvitations.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<Membership> {
    return services.invitations.accept(actor, requireId(id, 'id'));
  }

  @Mutation(() => Boolean, { description: 'Say no to an open invitation addressed to you.' })
  declineInvitation(
    @Arg('id', () => ID, { description: 'The invitation, from myInvitations.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.invitations.decline(actor, requireId(id, 'id'));
  }

  @Mutation(() => Boolean, {
    description:
      'Take back an unanswered invitation. The caller must hold every permission of its role.',
  })
  revokeInvitation(
    @Arg('id', () => ID, { description: 'The invitation, from Team.invitations.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.invitations.revoke(actor, requireId(id, 'id'));
  }

  @FieldResolver(() => String, {
    description: "the team's name; the invitee is not a member yet, so it can't read the Team",
  })
  async teamName(
    @Root() invitation: Invitation,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<string> {
    return (await loaders.team.load(invitation.teamId))?.name ?? Promise.reject(notFound('Team'));
  }

  @FieldResolver(() => String, {
    description: 'Name of the role it gives (as it was offered, if the role was deleted since).',
  })
  async roleName(
    @Root() invitation: Invitation,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<string> {
    const role = invitation.roleId ? await loaders.role.load(invitation.roleId) : null;
    return role?.name ?? invitation.roleName;
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: 'Who sent it (or renewed it last); null if that account is gone.',
  })
  invitedBy(
    @Root() invitation: Invitation,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<User | null> | null {
    return invitation.invitedById ? loaders.user.load(invitation.invitedById) : null;
  }
}

@Resolver(() => Team)
export class TeamInvitationsResolver {
  @FieldResolver(() => [Invitation], {
    description: `Pending and past invitations, newest first, at most ${INVITATION_LIST_LIMIT}. Needs members:manage.`,
  })
  invitations(
    @Root() team: Team,
    @Arg('status', () => InvitationStatus, {
      nullable: true,
      description: 'Only invitations with this status.',
    })
    status: InvitationStatus | null,
    @Ctx() { services }: GraphQLContext,
  ): Promise<Invitation[]> {
    return services.invitations.ofTeam(team.id, status ?? null);
  }
}
