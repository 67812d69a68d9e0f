import { apiPermissionsOf } from './key-permissions';
import { missingFrom, type PermissionSet } from './member-permissions';

/** What a person may do to a key of a team they belong to. */
export type KeyAction = 'update' | 'regenerate' | 'revoke' | 'transfer';

export interface KeyCaller {
  userId: string;
  /** the caller's permissions in the key's team */
  permissions: PermissionSet;
}

export interface PolicyKey {
  ownerId: string | null;
  scopes: readonly string[];
}

/**
 * The rule for changing a key, in one place: the permission rules, the services (again, on the
 * locked row) and the `viewerCan…` fields all ask it.
 *
 * - Reach: `apiKeys:manage` covers every key of the team; a key's owner changes it with
 *   `apiKeys:create`, and may hand it on (transfer) as its owner.
 * - Nobody obtains a credential holding a permission they lack: regenerating (a new secret in
 *   hand), updating or transferring a key needs every API permission in its scopes. Revoking
 *   only takes power away, so it needs reach alone.
 *
 * Returns null when allowed, else the reason (a FORBIDDEN message).
 */
export function keyActionRefusal(
  action: KeyAction,
  caller: KeyCaller,
  key: PolicyKey,
): string | null {
  const owns = key.ownerId === caller.userId;
  const manages = caller.permissions.has('apiKeys:manage');
  const reach =
    manages || (owns && (action === 'transfer' || caller.permissions.has('apiKeys:create')));
  if (!reach) {
    return action === 'transfer'
      ? 'Only the owner of a key, or apiKeys:manage, may transfer it'
      : 'Only the owner of a key (with apiKeys:create), or apiKeys:manage, may change it';
  }
  if (
    action !== 'revoke' &&
    missingFrom(caller.permissions, apiPermissionsOf(key.scopes)).length > 0
  ) {
    return `You can't ${action} a key that holds a permission you don't hold`;
  }
  return null;
}

/** The same rule in words, for the schema's documentation. */
export function describeKeyAction(action: KeyAction): string {
  const reach =
    action === 'transfer'
      ? "apiKeys:manage, or being the key's owner"
      : 'apiKeys:manage, or apiKeys:create on a key you own';
  return action === 'revoke'
    ? reach
    : `${reach}; and every permission of this API that the key's scopes name`;
}
