import type { ShellTeam } from './shell-context';

/**
 * What the person may do in a team, read from the team's viewerPermissions as the server
 * reports them (the server still decides every request). When an action is hidden or disabled,
 * the page says why with the sentence below.
 */
export type Permission =
  | 'team:read'
  | 'team:manage'
  | 'members:read'
  | 'members:manage'
  | 'roles:manage'
  | 'apiKeys:read'
  | 'apiKeys:create'
  | 'apiKeys:manage'
  | 'audit:read'
  | 'webhooks:manage';

export function can(team: Pick<ShellTeam, 'viewerPermissions'>, permission: Permission): boolean {
  return team.viewerPermissions.includes(permission);
}

export const WHY_NOT: Record<Permission, string> = {
  'team:read': "You need permission to see this team. Ask your team's administrator for it.",
  'team:manage': "You need permission to manage the team. Ask your team's owner for it.",
  'members:read': "You need permission to see the team's members.",
  'members:manage': 'You need permission to manage members.',
  'roles:manage': 'You need permission to manage roles.',
  'apiKeys:read': "You need permission to see the team's API keys.",
  'apiKeys:create':
    "You can see this team's API keys but not create them. Ask your team's administrator if you need to.",
  'apiKeys:manage': 'You need permission to manage API keys.',
  'audit:read': "You need permission to read the team's activity log.",
  'webhooks:manage': "Only the team's Owners and Admins manage its webhooks.",
};
