import { In, type DataSource } from 'typeorm';
import type { Actor } from '../../actor';
import { notFound } from '../../errors';
import { BUILT_IN_ROLES, OWNER_ROLE } from '../../permissions/built-in-roles';
import { requireName } from '../../validation';
import { AuditOutcome } from '../audit/audit-event.entity';
import type { AuditService } from '../audit/audit.service';
import { hydrate } from '../hydrate';
import { User } from '../user/user.entity';
import { Membership } from './membership.entity';
import { PermissionGrant } from './permission-grant.entity';
import { Role } from './role.entity';
import { Team } from './team.entity';

type Json = Record<string, unknown>;
interface MemberRow {
  membership: Json;
  user: Json;
  role: Json;
  grants: Json[];
}

/** A member as a members list shows it. */
export interface TeamMember {
  membership: Membership;
  user: User;
  role: Role;
  grants: PermissionGrant[];
}

export class TeamService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** A new team with the four built-in roles; its creator is its first Owner. */
  async create(actor: Actor, rawName: string): Promise<Team> {
    const name = requireName(rawName, 'name');
    const p = actor.principal;
    if (p.type !== 'USER')
      throw new Error('createTeam needs a user; the permission rules ensure it');
    return this.dataSource.transaction(async (m) => {
      const team = await m.save(m.create(Team, { name, createdById: p.user.id }));
      const roles = await m.save(
        BUILT_IN_ROLES.map((r) =>
          m.create(Role, {
            teamId: team.id,
            name: r.name,
            description: r.description,
            builtIn: true,
            permissions: [...r.permissions],
          }),
        ),
      );
      const owner = roles.find((r) => r.name === OWNER_ROLE)!;
      const membership = await m.save(
        m.create(Membership, { teamId: team.id, userId: p.user.id, roleId: owner.id }),
      );
      await this.audit.record(m, actor, {
        teamId: team.id,
        action: 'team.created',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Team',
        targetId: team.id,
        metadata: { name, ownerMembershipId: membership.id },
      });
      return team;
    });
  }

  /** Rename a team (team:manage, checked by the permission rules). */
  async update(actor: Actor, id: string, rawName: string): Promise<Team> {
    const name = requireName(rawName, 'name');
    return this.dataSource.transaction(async (m) => {
      const team = await m
        .getRepository(Team)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.id = :id', { id })
        .getOne();
      if (!team) throw notFound('Team');
      const before = team.name;
      team.name = name;
      await m.save(team);
      await this.audit.record(m, actor, {
        teamId: team.id,
        action: 'team.updated',
        outcome: AuditOutcome.SUCCESS,
        targetType: 'Team',
        targetId: team.id,
        metadata: { before: { name: before }, after: { name } },
      });
      return team;
    });
  }

  /** Teams the caller belongs to; every team for a platform admin; its own team for an API key with team:read. */
  async listFor(actor: Actor): Promise<Team[]> {
    const p = actor.principal;
    const repo = this.dataSource.getRepository(Team);
    // A key sees its own team, and only with the team:read scope.
    if (p.type === 'API_KEY')
      return p.permissions.has('team:read') ? repo.findBy({ id: p.apiKey.teamId }) : [];
    if (p.type !== 'USER') return [];
    if (p.user.isPlatformAdmin) return repo.find({ order: { createdAt: 'ASC' } });
    const memberships = await this.dataSource
      .getRepository(Membership)
      .findBy({ userId: p.user.id });
    // Only the teams it may read: a member whose role lacks team:read gets FORBIDDEN from
    // team(id), and must not read the team (its roles) through this list instead.
    const readable = await Promise.all(
      memberships.map((mb) => actor.access.can(mb.teamId, 'team:read')),
    );
    const ids = memberships.filter((_, i) => readable[i]).map((mb) => mb.teamId);
    if (ids.length === 0) return [];
    return repo.find({ where: { id: In(ids) }, order: { createdAt: 'ASC' } });
  }

  /**
   * The team's members, oldest first, each with its user, role and grants, in one statement
   * whatever the team's size (the fields a members list shows need no query of their own).
   */
  async members(teamId: string): Promise<TeamMember[]> {
    const rows: MemberRow[] = await this.dataSource.query(
      `SELECT to_jsonb(m) AS membership, to_jsonb(u) AS user, to_jsonb(r) AS role,
              COALESCE((SELECT jsonb_agg(to_jsonb(g) ORDER BY g.created_at, g.id)
                          FROM permission_grants g WHERE g.membership_id = m.id), '[]') AS grants
         FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id
        WHERE m.team_id = $1 ORDER BY m.created_at, m.id`,
      [teamId],
    );
    const ds = this.dataSource;
    return rows.map((row) => ({
      membership: hydrate(ds, Membership, row.membership),
      user: hydrate(ds, User, row.user),
      role: hydrate(ds, Role, row.role),
      grants: row.grants.map((grant) => hydrate(ds, PermissionGrant, grant)),
    }));
  }

  roles(teamId: string): Promise<Role[]> {
    return this.dataSource
      .getRepository(Role)
      .find({ where: { teamId }, order: { builtIn: 'DESC', createdAt: 'ASC', name: 'ASC' } });
  }
}
