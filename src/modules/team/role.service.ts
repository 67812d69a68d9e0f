import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../actor';
import { badInput, conflict, notFound } from '../../errors';
import { requirePermissions } from '../../permissions/catalog';
import { optionalText, requireName } from '../../validation';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import type { ApiKeyChangeFeed } from '../api-key/api-key-change-feed';
import { Membership } from './membership.entity';
import { Role } from './role.entity';
import { assertHoldsAll, isUniqueViolation, lockTeam } from './team-permissions';

export interface RoleChanges {
  name?: string | null;
  permissions?: string[] | null;
  description?: string | null;
}

/**
 * Custom roles of a team. The built-in four are fixed: every team can rely on them. A change to a
 * role changes what its members hold, and so what the keys they own may do: it is told to every
 * instance before it returns.
 */
export class RoleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly feed: ApiKeyChangeFeed,
  ) {}

  async create(
    actor: Actor,
    teamId: string,
    input: { name: string; permissions: string[]; description?: string | null },
  ): Promise<Role> {
    const name = requireName(input.name, 'name', 50);
    const permissions = requirePermissions(input.permissions);
    const description = optionalText(input.description, 'description');
    const held = await actor.access.held(teamId);
    return this.dataSource.transaction(async (m) => {
      assertHoldsAll(held, permissions, 'create a role');
      const role = await this.saveUnique(
        m,
        m.create(Role, { teamId, name, permissions, description, builtIn: false }),
      );
      await this.audit.record(m, actor, {
        teamId,
        action: 'role.created',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Role',
        targetId: role.id,
        metadata: { name, permissions, description },
      });
      return role;
    });
  }

  async update(actor: Actor, id: string, changes: RoleChanges): Promise<Role> {
    const name = changes.name != null ? requireName(changes.name, 'name', 50) : undefined;
    const permissions =
      changes.permissions != null ? requirePermissions(changes.permissions) : undefined;
    const description =
      changes.description !== undefined
        ? optionalText(changes.description, 'description')
        : undefined;
    return this.feed.transaction(this.dataSource, async (m, tell) => {
      const role = await this.lockedCustomRole(m, id);
      const held = await actor.access.held(role.teamId);
      assertHoldsAll(held, role.permissions, 'change a role');
      if (permissions) assertHoldsAll(held, permissions, 'change a role');
      const before = {
        name: role.name,
        permissions: role.permissions,
        description: role.description,
      };
      if (name !== undefined) role.name = name;
      if (permissions !== undefined) role.permissions = permissions;
      if (description !== undefined) role.description = description;
      const saved = await this.saveUnique(m, role);
      await this.audit.record(m, actor, {
        teamId: role.teamId,
        action: 'role.updated',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Role',
        targetId: role.id,
        metadata: {
          before,
          after: {
            name: saved.name,
            permissions: saved.permissions,
            description: saved.description,
          },
        },
      });
      actor.access.clear(role.teamId);
      await tell({ team: role.teamId });
      return saved;
    });
  }

  async delete(actor: Actor, id: string): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const role = await this.lockedCustomRole(m, id);
      assertHoldsAll(await actor.access.held(role.teamId), role.permissions, 'delete a role');
      if (await m.exists(Membership, { where: { roleId: role.id } })) {
        throw conflict('This role is still given to members; give them another role first');
      }
      await m.delete(Role, { id: role.id });
      await this.audit.record(m, actor, {
        teamId: role.teamId,
        action: 'role.deleted',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Role',
        targetId: role.id,
        metadata: { name: role.name, permissions: role.permissions },
      });
      return true;
    });
  }

  private async lockedCustomRole(m: EntityManager, id: string): Promise<Role> {
    // The team lock first, as memberships take it (lockTeam): a role can't be deleted while a
    // member is being given it (a foreign-key failure, a 500), and the two lock in one order.
    const found = await m.getRepository(Role).findOneBy({ id });
    if (!found) throw notFound('Role');
    await lockTeam(m, found.teamId);
    const role = await m
      .getRepository(Role)
      .createQueryBuilder('r')
      .setLock('pessimistic_write')
      .where('r.id = :id', { id })
      .getOne();
    if (!role) throw notFound('Role');
    if (role.builtIn) throw badInput('Built-in roles cannot be changed or deleted', 'id');
    return role;
  }

  private async saveUnique(m: EntityManager, role: Role): Promise<Role> {
    try {
      return await m.save(role);
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('The team already has a role with this name');
      throw error;
    }
  }
}
