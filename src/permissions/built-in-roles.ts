import { PERMISSIONS, type Permission } from './catalog';

export interface BuiltInRole {
  name: string;
  description: string;
  permissions: readonly Permission[];
}

export const OWNER_ROLE = 'Owner';

/** Created in every team when it is created; they can't be changed or deleted. */
export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  {
    name: OWNER_ROLE,
    description: 'Everything, including the team itself. A team always has at least one.',
    permissions: PERMISSIONS,
  },
  {
    name: 'Admin',
    description: 'Everything but managing the team itself.',
    permissions: PERMISSIONS.filter((p) => p !== 'team:manage'),
  },
  {
    name: 'Member',
    description: 'Sees the team, its members and its API keys.',
    permissions: ['team:read', 'members:read', 'apiKeys:read'],
  },
  {
    name: 'Auditor',
    description: 'Sees the team, its members, its API keys and its audit log.',
    permissions: ['team:read', 'members:read', 'apiKeys:read', 'audit:read'],
  },
];
