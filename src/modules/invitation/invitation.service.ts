import type { DataSource, EntityManager } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import type { Config } from '../../config';
import { conflict, notFound, rateLimited } from '../../errors';
import {
  missingFrom,
  personPermissions,
  type PermissionSet,
} from '../../permissions/member-permissions';
import { requireEmail } from '../../validation';
import type { ApiKeyChangeFeed } from '../api-key/api-key-change-feed';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import type { Membership } from '../team/membership.entity';
import { Role } from '../team/role.entity';
import { changeTeam, insertMembership } from '../team/team-change';
import { assertHoldsAll, lockTeam, permissionsOfMember } from '../team/team-permissions';
import { User } from '../user/user.entity';
import {
  Invitation,
  InvitationStatus,
  invitationStatus,
  type InvitationState,
} from './invitation.entity';
import { invitationAddress } from './open-invitation';
import type { EmailVerificationService } from '../user/email-verification.service';

/** The most invitations one list answers with, newest first. */
export const INVITATION_LIST_LIMIT = 200;

/**
 * Joining a team needs the invitee's consent. A member holding members:manage invites an address
 * with a role they hold all of; whoever signs in with that address sees the invitation and
 * accepts or declines it. Inviting never looks at accounts: the answer, its shape and its timing
 * are the same whether or not the address has one, and no person's name is involved.
 *
 * Every change of an invitation takes the team lock (lockTeam) first, as memberships and roles
 * do: an invitation is answered once, and the bound on open invitations can't be raced.
 */
export class InvitationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly feed: ApiKeyChangeFeed,
    private readonly limits: Config['invitations'],
    private readonly verification: EmailVerificationService,
  ) {}

  /**
   * Invites an address, or renews the open invitation of the team to that address (new role,
   * inviter and expiry, same id). An address that already belongs to a member is invited like any
   * other: telling them apart would tell whether it has an account; accepting then answers CONFLICT.
   */
  async invite(
    actor: Actor,
    teamId: string,
    rawEmail: string,
    roleId: string,
  ): Promise<Invitation> {
    const email = requireEmail(rawEmail);
    const inviter = personOf(actor).user;
    const held = await actor.access.held(teamId);
    return this.dataSource.transaction(async (m) => {
      await lockTeam(m, teamId);
      const role = await m.getRepository(Role).findOneBy({ id: roleId, teamId });
      if (!role) throw notFound('Role');
      assertHoldsAll(held, role.permissions, 'invite someone with a role');
      const now = new Date();
      const open = await m
        .getRepository(Invitation)
        .findOneBy({ teamId, email, state: InvitationStatus.PENDING });
      if (open && invitationStatus(open, now) === InvitationStatus.PENDING)
        await this.assertMayReplace(m, held, open);
      else await this.assertRoomFor(m, teamId, now);
      const invitation =
        open ?? m.create(Invitation, { teamId, email, state: InvitationStatus.PENDING });
      Object.assign(invitation, {
        roleId: role.id,
        roleName: role.name,
        invitedById: inviter.id,
        expiresAt: new Date(now.getTime() + this.limits.ttlHours * 3_600_000),
      });
      const saved = await m.save(invitation);
      await this.audit.record(m, actor, {
        teamId,
        action: 'member.invited',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Invitation',
        targetId: saved.id,
        metadata: {
          email,
          roleId: role.id,
          role: role.name,
          expiresAt: saved.expiresAt.toISOString(),
          renewed: Boolean(open),
        },
      });
      return saved;
    });
  }

  /** Open invitations addressed to the caller's email, newest first. */
  mine(actor: Actor): Promise<Invitation[]> {
    const user = personOf(actor).user;
    return this.dataSource
      .getRepository(Invitation)
      .createQueryBuilder('i')
      .where('i.email = :email AND i.state = :pending AND i.expires_at > :now', {
        email: invitationAddress(user.email),
        pending: InvitationStatus.PENDING,
        now: new Date(),
      })
      .orderBy('i.created_at', 'DESC')
      .addOrderBy('i.id', 'DESC')
      .limit(INVITATION_LIST_LIMIT)
      .getMany();
  }

  /** A team's invitations, newest first, optionally of one status (members:manage, checked by the rules). */
  ofTeam(teamId: string, status: InvitationStatus | null): Promise<Invitation[]> {
    const query = this.dataSource
      .getRepository(Invitation)
      .createQueryBuilder('i')
      .where('i.team_id = :teamId', { teamId });
    const now = new Date();
    if (status === InvitationStatus.PENDING)
      query.andWhere(`i.state = 'PENDING' AND i.expires_at > :now`, { now });
    else if (status === InvitationStatus.EXPIRED)
      query.andWhere(`i.state = 'PENDING' AND i.expires_at <= :now`, { now });
    else if (status) query.andWhere('i.state = :status', { status });
    return query
      .orderBy('i.created_at', 'DESC')
      .addOrderBy('i.id', 'DESC')
      .limit(INVITATION_LIST_LIMIT)
      .getMany();
  }

  /**
   * The invitee joins the team with the invitation's role. The role must still exist, and whoever
   * sent the invitation must still be able to give it (members:manage and every permission of the
   * role): an invitation gives no more than its sender could give today.
   */
  async accept(actor: Actor, id: string): Promise<Membership> {
    const user = personOf(actor).user;
    return changeTeam(this.dataSource, this.feed, actor, async (m, changed) => {
      const invitation = await this.lockedInvitation(m, id, user);
      assertOpen(invitation);
      await this.verification.assertConfirmed(m, user.id);
      const role = invitation.roleId
        ? await m
            .getRepository(Role)
            .findOneBy({ id: invitation.roleId, teamId: invitation.teamId })
        : null;
      if (!role)
        throw conflict(
          'The role of this invitation no longer exists; ask the team for a new invitation',
        );
      await this.assertSenderMayStillGive(m, invitation, role);
      const membership = await insertMembership(m, invitation.teamId, user.id, role.id);
      await this.answer(m, invitation, InvitationStatus.ACCEPTED);
      await this.audit.record(m, actor, {
        teamId: invitation.teamId,
        action: 'member.joined',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Membership',
        targetId: membership.id,
        metadata: {
          invitationId: invitation.id,
          userId: user.id,
          roleId: role.id,
          role: role.name,
          invitedById: invitation.invitedById,
        },
      });
      // keys this person owned when they were last a member regain what they allow
      await changed(invitation.teamId);
      return membership;
    });
  }

  async decline(actor: Actor, id: string): Promise<boolean> {
    const user = personOf(actor).user;
    return this.dataSource.transaction(async (m) => {
      const invitation = await this.lockedInvitation(m, id, user);
      assertOpen(invitation);
      await this.answer(m, invitation, InvitationStatus.DECLINED);
      await this.audit.record(m, actor, {
        teamId: invitation.teamId,
        action: 'invitation.declined',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Invitation',
        targetId: invitation.id,
        metadata: { email: invitation.email, role: invitation.roleName },
      });
      return true;
    });
  }

  /**
   * The team takes an unanswered invitation back (members:manage, checked by the rules). As for
   * removing a member, nobody undoes what they could not have done: the role's permissions are needed.
   */
  async revoke(actor: Actor, id: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const invitation = await this.lockedInvitation(m, id);
      if (invitation.state !== InvitationStatus.PENDING)
        throw conflict('This invitation was already answered or revoked');
      const role = invitation.roleId
        ? await m
            .getRepository(Role)
            .findOneBy({ id: invitation.roleId, teamId: invitation.teamId })
        : null;
      if (role)
        assertHoldsAll(
          await actor.access.held(invitation.teamId),
          role.permissions,
          'revoke an invitation to a role',
        );
      await this.answer(m, invitation, InvitationStatus.REVOKED);
      await this.audit.record(m, actor, {
        teamId: invitation.teamId,
        action: 'invitation.revoked',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Invitation',
        targetId: invitation.id,
        metadata: { email: invitation.email, role: invitation.roleName },
      });
      return true;
    });
  }

  /** Renewing replaces an open invitation: as for revoking it, its role's permissions are needed. */
  private async assertMayReplace(
    m: EntityManager,
    held: PermissionSet,
    open: Invitation,
  ): Promise<void> {
    const role = open.roleId
      ? await m.getRepository(Role).findOneBy({ id: open.roleId, teamId: open.teamId })
      : null;
    if (role) assertHoldsAll(held, role.permissions, 'replace an invitation to a role');
  }

  /** Refuses a new open invitation when the team has as many as it may. */
  private async assertRoomFor(m: EntityManager, teamId: string, now: Date): Promise<void> {
    const [{ n }]: { n: number }[] = await m.query(
      `SELECT count(*)::int AS n FROM invitations WHERE team_id = $1 AND state = 'PENDING' AND expires_at > $2`,
      [teamId, now],
    );
    if (n >= this.limits.maxPendingPerTeam) {
      throw rateLimited(
        'This team has as many open invitations as it may; revoke some or wait for them to expire',
      );
    }
  }

  private async assertSenderMayStillGive(
    m: EntityManager,
    invitation: Invitation,
    role: Role,
  ): Promise<void> {
    const sender = invitation.invitedById
      ? await m.getRepository(User).findOneBy({ id: invitation.invitedById })
      : null;
    const held =
      sender &&
      personPermissions(
        sender,
        await permissionsOfMember(m, { teamId: invitation.teamId, userId: sender.id }),
      );
    if (!held || !held.has('members:manage') || missingFrom(held, role.permissions).length > 0) {
      throw conflict(
        'Whoever sent this invitation can no longer give this role; ask the team for a new invitation',
      );
    }
  }

  /**
   * The invitation, under the team lock. With `addressee`: NOT_FOUND unless it is addressed to them,
   * exactly as if it did not exist (and before anything is locked).
   */
  private async lockedInvitation(
    m: EntityManager,
    id: string,
    addressee?: User,
  ): Promise<Invitation> {
    const found = await m.getRepository(Invitation).findOneBy({ id });
    if (!found || (addressee && found.email !== invitationAddress(addressee.email)))
      throw notFound('Invitation');
    await lockTeam(m, found.teamId);
    // Re-read under the team lock: it may have been answered while we waited.
    const invitation = await m.getRepository(Invitation).findOneBy({ id });
    if (!invitation) throw notFound('Invitation');
    return invitation;
  }

  private async answer(
    m: EntityManager,
    invitation: Invitation,
    state: Exclude<InvitationState, InvitationStatus.PENDING>,
  ): Promise<void> {
    invitation.state = state;
    invitation.respondedAt = new Date();
    await m.save(invitation);
  }
}

function assertOpen(invitation: Invitation): void {
  const status = invitationStatus(invitation);
  if (status === InvitationStatus.EXPIRED)
    throw conflict('This invitation has expired; ask the team for a new one');
  if (status !== InvitationStatus.PENDING)
    throw conflict('This invitation was already answered or revoked');
}
