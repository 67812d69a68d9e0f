import type { DataSource, EntityManager } from 'typeorm';
import { personOf, type Actor } from '../../actor';
import { conflict, notFound } from '../../errors';
import type { ApiKeyChangeFeed } from '../api-key/api-key-change-feed';
import { OWNER_ROLE } from '../../permissions/built-in-roles';
import { requirePermission } from '../../permissions/catalog';
import { requireEmail } from '../../validation';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { User } from '../user/user.entity';
import { Membership } from './membership.entity';
import { PermissionGrant } from './permission-grant.entity';
import { Role } from './role.entity';
import { changeTeam, insertMembership, type TeamChanged } from './team-change';
import {
  assertHoldsAll,
  isUniqueViolation,
  lockTeam,
  ownerCount,
  permissionsOfMember,
} from './team-permissions';

/**
 * Members of a team, their roles and their single-permission grants. Who may call each method
 * is decided by the permission rules before it runs; what remains here are the rules of the
 * domain: nobody hands out more than they hold, and a team always keeps an Owner.
 *
 * A member's permissions also bound the keys they own: every change here tells every instance
 * (the key change feed) before it returns, so those keys' next requests see it.
 */
export class MembershipService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly feed: ApiKeyChangeFeed,
  ) {}

  /** A change to the team's memberships or grants, in one transaction, told to every instance. */
  private changeTeam<T>(
    actor: Actor,
    work: (m: EntityManager, changed: TeamChanged) => Promise<T>,
  ): Promise<T> {
    return changeTeam(this.dataSource, this.feed, actor, work);
  }

  async add(actor: Actor, teamId: string, rawEmail: string, roleId: string): Promise<Membership> {
    const email = requireEmail(rawEmail);
    const held = await actor.access.held(teamId);
    return this.changeTeam(actor, async (m, changed) => {
      await lockTeam(m, teamId);
      const role = await this.roleOfTeam(m, roleId, teamId);
      assertHoldsAll(held, role.permissions, 'give a role');
      const user = await m
        .getRepository(User)
        .createQueryBuilder('u')
        .where('lower(u.email) = :email', { email })
        .getOne();
      if (!user) throw notFound('User');
      const membership = await insertMembership(m, teamId, user.id, role.id);
      await this.audit.record(m, actor, {
        teamId,
        action: 'member.added',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Membership',
        targetId: membership.id,
        metadata: { userId: user.id, email: user.email, roleId: role.id, role: role.name },
      });
      // keys this person owned when they were last a member regain what they allow
      await changed(teamId);
      return membership;
    });
  }

  async changeRole(actor: Actor, membershipId: string, roleId: string): Promise<Membership> {
    return this.changeTeam(actor, async (m, changed) => {
      const membership = await this.lockedMembership(m, membershipId);
      const role = await this.roleOfTeam(m, roleId, membership.teamId);
      const held = await actor.access.held(membership.teamId);
      assertHoldsAll(held, role.permissions, 'give a role');
      assertHoldsAll(held, await permissionsOfMember(m, membership), 'change the role of a member');
      const previous = await m.getRepository(Role).findOneByOrFail({ id: membership.roleId });
      membership.roleId = role.id;
      await m.save(membership);
      await this.assertTeamKeepsOwner(m, membership.teamId);
      await this.audit.record(m, actor, {
        teamId: membership.teamId,
        action: 'member.roleChanged',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Membership',
        targetId: membership.id,
        metadata: {
          userId: membership.userId,
          from: previous.name,
          to: role.name,
          roleId: role.id,
        },
      });
      await changed(membership.teamId);
      return membership;
    });
  }

  async remove(actor: Actor, membershipId: string): Promise<boolean> {
    return this.changeTeam(actor, async (m, changed) => {
      const membership = await this.lockedMembership(m, membershipId);
      assertHoldsAll(
        await actor.access.held(membership.teamId),
        await permissionsOfMember(m, membership),
        'remove a member',
      );
      await m.delete(Membership, { id: membership.id });
      await this.assertTeamKeepsOwner(m, membership.teamId);
      await this.audit.record(m, actor, {
        teamId: membership.teamId,
        action: 'member.removed',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Membership',
        targetId: membership.id,
        metadata: { userId: membership.userId },
      });
      await changed(membership.teamId);
      return true;
    });
  }

  async grant(actor: Actor, membershipId: string, rawPermission: string): Promise<PermissionGrant> {
    const permission = requirePermission(rawPermission);
    return this.changeTeam(actor, async (m, changed) => {
      const membership = await this.lockedMembership(m, membershipId);
      assertHoldsAll(
        await actor.access.held(membership.teamId),
        [permission],
        'grant a permission',
      );
      const grantedById = personOf(actor).user.id;
      let grant: PermissionGrant;
      try {
        grant = await m.save(m.create(PermissionGrant, { membershipId, permission, grantedById }));
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('This member already has this grant');
        throw error;
      }
      await this.audit.record(m, actor, {
        teamId: membership.teamId,
        action: 'permission.granted',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'PermissionGrant',
        targetId: grant.id,
        metadata: { membershipId, userId: membership.userId, permission },
      });
      await changed(membership.teamId);
      return grant;
    });
  }

  async revokeGrant(actor: Actor, grantId: string): Promise<boolean> {
    return this.changeTeam(actor, async (m, changed) => {
      const found = await m.getRepository(PermissionGrant).findOneBy({ id: grantId });
      if (!found) throw notFound('PermissionGrant');
      const membership = await this.lockedMembership(m, found.membershipId);
      // Re-read under the team lock: a concurrent revocation may have taken it meanwhile.
      const grant = await m.getRepository(PermissionGrant).findOneBy({ id: grantId });
      if (!grant) throw notFound('PermissionGrant');
      assertHoldsAll(
        await actor.access.held(membership.teamId),
        [grant.permission],
        'revoke a grant',
      );
      await m.delete(PermissionGrant, { id: grant.id });
      await this.audit.record(m, actor, {
        teamId: membership.teamId,
        action: 'permission.revoked',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'PermissionGrant',
        targetId: grant.id,
        metadata: {
          membershipId: membership.id,
          userId: membership.userId,
          permission: grant.permission,
        },
      });
      await changed(membership.teamId);
      return true;
    });
  }

  /**
   * The caller leaves the team: their grants go with the membership, and the keys they own keep
   * their application scopes but lose their API permissions until someone takes them over. The
   * last Owner can't leave.
   */
  async leave(actor: Actor, teamId: string): Promise<boolean> {
    const { user } = personOf(actor);
    return this.changeTeam(actor, async (m, changed) => {
      await lockTeam(m, teamId);
      const membership = await m.getRepository(Membership).findOneBy({ teamId, userId: user.id });
      if (!membership) throw notFound('Membership');
      await m.delete(Membership, { id: membership.id });
      if ((await ownerCount(m, teamId)) < 1)
        throw conflict(
          `The last ${OWNER_ROLE} can't leave the team; make someone else ${OWNER_ROLE} first`,
        );
      await this.audit.record(m, actor, {
        teamId,
        action: 'member.left',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Membership',
        targetId: membership.id,
        metadata: { userId: user.id },
      });
      await changed(teamId);
      return true;
    });
  }

  private async lockedMembership(m: EntityManager, membershipId: string): Promise<Membership> {
    const found = await m.getRepository(Membership).findOneBy({ id: membershipId });
    if (!found) throw notFound('Membership');
    await lockTeam(m, found.teamId);
    // Re-read under the team lock: it may have changed while we waited.
    const membership = await m.getRepository(Membership).findOneBy({ id: membershipId });
    if (!membership) throw notFound('Membership');
    return membership;
  }

  private async roleOfTeam(m: EntityManager, roleId: string, teamId: string): Promise<Role> {
    const role = await m.getRepository(Role).findOneBy({ id: roleId, teamId });
    if (!role) throw notFound('Role');
    return role;
  }

  private async assertTeamKeepsOwner(m: EntityManager, teamId: string): Promise<void> {
    if ((await ownerCount(m, teamId)) < 1)
      throw conflict(`A team must keep at least one ${OWNER_ROLE}`);
  }
}
