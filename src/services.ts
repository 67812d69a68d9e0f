import type { DataSource } from 'typeorm';
import type { Config } from './config';
import { AuditService } from './modules/audit/audit.service';
import { MembershipService } from './modules/team/membership.service';
import { RoleService } from './modules/team/role.service';
import { TeamService } from './modules/team/team.service';
import { UserService } from './modules/user/user.service';

/** The domain services of one server, wired once. Resolvers reach them through the context. */
export function createServices(dataSource: DataSource, config: Config) {
  const audit = new AuditService();
  return {
    audit,
    users: new UserService(dataSource, audit, config),
    teams: new TeamService(dataSource, audit),
    memberships: new MembershipService(dataSource, audit),
    roles: new RoleService(dataSource, audit),
  };
}

export type Services = ReturnType<typeof createServices>;
