import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import type { Principal } from '../auth/principal';
import { ALL_PERMISSIONS, isApiKeyGrantable } from './catalog';

/** What the caller may do in one team; `null` from permissionsIn means it can't see the team. */
export type PermissionSet = ReadonlySet<string>;

const EVERYTHING: PermissionSet = new Set(ALL_PERMISSIONS);

/**
 * A request's view of its caller's permissions, team by team, batched and cached for the request
 * by a DataLoader: a page of 50 keys from 3 teams costs one query, not 50.
 *
 * - a user: its role's permissions plus its grants in each team it belongs to;
 * - a platform admin: Owner in every team that exists;
 * - an API key: its read scopes of this API, in its own team only.
 */
export class TeamAccess {
  private readonly loader: DataLoader<string, PermissionSet | null>;

  constructor(
    private readonly dataSource: DataSource,
    readonly principal: Principal,
  ) {
    this.loader = new DataLoader((teamIds) => this.load(teamIds));
  }

  permissionsIn(teamId: string): Promise<PermissionSet | null> {
    return this.loader.load(teamId);
  }

  async can(teamId: string, permission: string): Promise<boolean> {
    return (await this.permissionsIn(teamId))?.has(permission) ?? false;
  }

  /** Forget cached answers, e.g. after the caller's own role changed inside this request. */
  clear(teamId: string): void {
    this.loader.clear(teamId);
  }

  get isPlatformAdmin(): boolean {
    return this.principal.type === 'USER' && this.principal.user.isPlatformAdmin;
  }

  private async load(teamIds: readonly string[]): Promise<(PermissionSet | null)[]> {
    const principal = this.principal;
    if (principal.type === 'ANONYMOUS') return teamIds.map(() => null);
    if (principal.type === 'API_KEY') {
      const scopes = new Set(principal.apiKey.scopes.filter(isApiKeyGrantable));
      return teamIds.map((id) => (id === principal.apiKey.teamId ? scopes : null));
    }
    if (principal.user.isPlatformAdmin) {
      const rows: { id: string }[] = await this.dataSource.query(`SELECT id FROM teams WHERE id = ANY($1::uuid[])`, [teamIds]);
      const existing = new Set(rows.map((r) => r.id));
      return teamIds.map((id) => (existing.has(id) ? EVERYTHING : null));
    }
    const rows: { team_id: string; permissions: string[]; grants: string[] }[] = await this.dataSource.query(
      `SELECT m.team_id, r.permissions,
              coalesce(array_agg(g.permission) FILTER (WHERE g.permission IS NOT NULL), '{}') AS grants
         FROM memberships m
         JOIN roles r ON r.id = m.role_id
         LEFT JOIN permission_grants g ON g.membership_id = m.id
        WHERE m.user_id = $1 AND m.team_id = ANY($2::uuid[])
        GROUP BY m.team_id, r.permissions`,
      [principal.user.id, teamIds],
    );
    const byTeam = new Map(rows.map((r) => [r.team_id, new Set([...r.permissions, ...r.grants]) as PermissionSet]));
    return teamIds.map((id) => byTeam.get(id) ?? null);
  }
}
