import { badInput } from '../errors';

/**
 * The permission catalogue: what a role, a grant or an API key's scope may hold in this API.
 * Names are `resource:verb`. Application scopes for the rest of the platform (`orders:read`)
 * are free strings that this API does not interpret.
 */
export const PERMISSIONS = [
  'team:read',
  'team:manage',
  'members:read',
  'members:manage',
  'roles:manage',
  'apiKeys:read',
  'apiKeys:create',
  'apiKeys:manage',
  'audit:read',
  'webhooks:manage',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export interface PermissionDescription {
  name: Permission;
  /** a few plain words for screens, e.g. "See API keys" */
  label: string;
  /** what holding it allows, in a sentence */
  description: string;
  /** read permissions only: a key never holds one that mutates keys, members, roles or teams */
  grantableToApiKeys: boolean;
}

export const PERMISSION_CATALOG: readonly PermissionDescription[] = [
  {
    name: 'team:read',
    label: 'See the team',
    description: 'See the team, its roles and your own permissions in it.',
    grantableToApiKeys: true,
  },
  {
    name: 'team:manage',
    label: 'Manage the team',
    description: 'Rename the team and manage its ownership.',
    grantableToApiKeys: false,
  },
  {
    name: 'members:read',
    label: "See the team's members",
    description: 'See who belongs to the team, their roles and grants.',
    grantableToApiKeys: true,
  },
  {
    name: 'members:manage',
    label: 'Manage members',
    description:
      'Invite and remove members, revoke invitations, change roles and grant single permissions.',
    grantableToApiKeys: false,
  },
  {
    name: 'roles:manage',
    label: 'Manage roles',
    description: 'Create, change and delete the custom roles of the team.',
    grantableToApiKeys: false,
  },
  {
    name: 'apiKeys:read',
    label: 'See API keys',
    description: "See the team's API keys (never their secrets).",
    grantableToApiKeys: true,
  },
  {
    name: 'apiKeys:create',
    label: 'Create API keys',
    description: 'Create API keys, and update, regenerate and revoke the keys you own.',
    grantableToApiKeys: false,
  },
  {
    name: 'apiKeys:manage',
    label: 'Manage all API keys',
    description: 'Update, regenerate, revoke and transfer every API key of the team.',
    grantableToApiKeys: false,
  },
  {
    name: 'audit:read',
    label: 'Read the activity log',
    description: "Read and export the team's audit log and verify its hash chain.",
    grantableToApiKeys: true,
  },
  {
    name: 'webhooks:manage',
    label: 'Manage webhooks',
    description:
      "Add, change and delete the team's webhook endpoints, see their deliveries and send them again.",
    grantableToApiKeys: false,
  },
];

const known = new Set<string>(PERMISSIONS);
const apiKeyGrantable = new Set<string>(
  PERMISSION_CATALOG.filter((p) => p.grantableToApiKeys).map((p) => p.name),
);

export function isPermission(value: string): value is Permission {
  return known.has(value);
}

/** A permission of this API that an API key may carry as a scope. */
export function isApiKeyGrantable(value: string): boolean {
  return apiKeyGrantable.has(value);
}

// Names of the catalogue in client input: BAD_USER_INPUT naming the field, never the value.
export function requirePermission(value: string, field = 'permission'): string {
  if (!isPermission(value)) throw badInput(`${field} is not a permission of the catalogue`, field);
  return value;
}

export function requirePermissions(values: string[], field = 'permissions'): string[] {
  if (values.length > 100) throw badInput(`${field} has too many entries`, field);
  for (const value of values) {
    if (!isPermission(value))
      throw badInput(`${field} holds a name that is not in the catalogue`, field);
  }
  return [...new Set(values)].sort();
}
