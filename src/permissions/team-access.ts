import type { Principal } from '../auth/principal';
import type DataLoader from 'dataloader';
import { NOTHING, personPermissions, type Member, type PermissionSet } from './member-permissions';

/** The request's lookups that permissions are read through (the context's loaders). */
export interface PermissionLoaders {
  team: DataLoader<string, unknown>;
  memberPermissions: DataLoader<Member, PermissionSet | null, string>;
}

export type { PermissionSet } from './member-permissions';

/**
 * A request's view of what its caller may do, team by team: one lookup per team, batched and
 * cached for the request (a page of 50 keys from 3 teams costs one query, not 50). The permission
 * rules and the services both ask here.
 *
 * - a user: its role's permissions plus its grants in each team it belongs to;
 * - a platform admin: Owner in every team that exists;
 * - an API key: its API permissions cut to what its owner holds now, in its own team only
 *   (worked out when the key was verified: see key-permissions.ts).
 */
export class TeamAccess {
  constructor(
    readonly principal: Principal,
    private readonly loaders: PermissionLoaders,
    /** records a platform admin's read of a team it is not a member of (platform-admin-reads.ts) */
    private readonly recordAdminRead: (teamId: string) => Promise<void> = async () => undefined,
  ) {}

  /** null: the caller can't see the team at all (answer NOT_FOUND, as if it did not exist) */
  async permissionsIn(teamId: string): Promise<PermissionSet | null> {
    const p = this.principal;
    if (p.type === 'ANONYMOUS') return null;
    if (p.type === 'API_KEY') return teamId === p.apiKey.teamId ? p.permissions : null;
    if (p.user.isPlatformAdmin)
      return (await this.loaders.team.load(teamId)) ? personPermissions(p.user, null) : null;
    return this.loaders.memberPermissions.load({ teamId, userId: p.user.id });
  }

  /** What the caller holds in the team; nothing for a team it can't see. For the services' own checks. */
  async held(teamId: string): Promise<PermissionSet> {
    return (await this.permissionsIn(teamId)) ?? NOTHING;
  }

  async can(teamId: string, permission: string): Promise<boolean> {
    return (await this.permissionsIn(teamId))?.has(permission) ?? false;
  }

  /**
   * A read of the team's data was allowed. A platform admin's read of a team it is not a member of
   * is recorded in that team's log (once an hour); everyone else reads only where they belong.
   */
  async readAllowed(teamId: string): Promise<void> {
    const p = this.principal;
    if (p.type !== 'USER' || !p.user.isPlatformAdmin) return;
    if (await this.loaders.memberPermissions.load({ teamId, userId: p.user.id })) return;
    await this.recordAdminRead(teamId);
  }

  /** Forget cached answers after this request changed memberships, roles or grants of the team. */
  clear(teamId: string): void {
    this.loaders.memberPermissions.clearAll();
    this.loaders.team.clear(teamId);
  }

  get isPlatformAdmin(): boolean {
    return this.principal.type === 'USER' && this.principal.user.isPlatformAdmin;
  }
}
