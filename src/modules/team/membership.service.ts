import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../actor';
import { conflict, notFound } from '../../errors';
import { OWNER_ROLE } from '../../permissions/built-in-roles';
import { requireEmail, requirePermission } from '../../validation';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { User } from '../user/user.entity';
import { Membership } from './membership.entity';
import { PermissionGrant } from './permission-grant.entity';
import { Role } from './role.entity';
import {
  actorPermissionsIn,
  assertHoldsAll,
  isUniqueViolation,
  lockTeam,
  memberPermissions,
  ownerCount,
} from './team-permissions';

/**
 * Members of a team, their roles and their single-permission grants. Who may call each method
 * is decided by the permission rules before it runs; what remains here are the rules of the
 * domain: nobody hands out more than they hold, and a team always keeps an Owner.
 */
export class MembershipService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async add(actor: Actor, teamId: string, rawEmail: string, roleId: string): Promise<Membership> {
    const email = requireEmail(rawEmail);
    return this.dataSource.transaction(async (m) => {
      await lockTeam(m, teamId);
      const role = await this.roleOfTeam(m, roleId, teamId);
      assertHoldsAll(await actorPermissionsIn(m, actor, teamId), role.permissions, 'give a role');
      const user = await m.getRepository(User).createQueryBuilder('u').where('lower(u.email) = :email', { email }).getOne();
      if (!user) throw notFound('User');
      if (await m.exists(Membership, { where: { teamId, userId: user.id } })) {
        throw conflict('This user is already a member of the team');
      }
      const membership = await m.save(m.create(Membership, { teamId, userId: user.id, roleId: role.id }));
      await this.audit.record(m, actor, {
        teamId,
        action: 'member.added',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Membership',
        targetId: membership.id,
        metadata: { userId: user.id, email: user.email, roleId: role.id, role: role.name },
      });
      return membership;
    });
  }

  async changeRole(actor: Actor, membershipId: string, roleId: string): Promise<Membership> {
    return this.dataSource.transaction(async (m) => {
      const membership = await this.lockedMembership(m, membershipId);
      const role = await this.roleOfTeam(m, roleId, membership.teamId);
      const held = await actorPermissionsIn(m, actor, membership.teamId);
      assertHoldsAll(held, role.permissions, 'give a role');
      assertHoldsAll(held, await memberPermissions(m, membership.userId, membership.teamId), 'change the role of a member');
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
        metadata: { userId: membership.userId, from: previous.name, to: role.name, roleId: role.id },
      });
      actor.access.clear(membership.teamId);
      return membership;
    });
  }

  async remove(actor: Actor, membershipId: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const membership = await this.lockedMembership(m, membershipId);
      const held = await actorPermissionsIn(m, actor, membership.teamId);
      assertHoldsAll(held, await memberPermissions(m, membership.userId, membership.teamId), 'remove a member');
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
      actor.access.clear(membership.teamId);
      return true;
    });
  }

  async grant(actor: Actor, membershipId: string, rawPermission: string): Promise<PermissionGrant> {
    const permission = requirePermission(rawPermission);
    return this.dataSource.transaction(async (m) => {
      const membership = await this.lockedMembership(m, membershipId);
      assertHoldsAll(await actorPermissionsIn(m, actor, membership.teamId), [permission], 'grant a permission');
      const grantedById = actor.principal.type === 'USER' ? actor.principal.user.id : null;
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
      return grant;
    });
  }

  async revokeGrant(actor: Actor, grantId: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const found = await m.getRepository(PermissionGrant).findOneBy({ id: grantId });
      if (!found) throw notFound('PermissionGrant');
      const membership = await this.lockedMembership(m, found.membershipId);
      // Re-read under the team lock: a concurrent revocation may have taken it meanwhile.
      const grant = await m.getRepository(PermissionGrant).findOneBy({ id: grantId });
      if (!grant) throw notFound('PermissionGrant');
      assertHoldsAll(await actorPermissionsIn(m, actor, membership.teamId), [grant.permission], 'revoke a grant');
      await m.delete(PermissionGrant, { id: grant.id });
      await this.audit.record(m, actor, {
        teamId: membership.teamId,
        action: 'permission.revoked',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'PermissionGrant',
        targetId: grant.id,
        metadata: { membershipId: membership.id, userId: membership.userId, permission: grant.permission },
      });
      return true;
    });
  }

  grantsOf(membershipId: string): Promise<PermissionGrant[]> {
    return this.dataSource.getRepository(PermissionGrant).find({ where: { membershipId }, order: { createdAt: 'ASC' } });
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
    if ((await ownerCount(m, teamId)) < 1) throw conflict(`A team must keep at least one ${OWNER_ROLE}`);
  }
}
