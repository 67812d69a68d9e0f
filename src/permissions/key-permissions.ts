import { isPermission } from './catalog';
import { NOTHING, type PermissionSet } from './member-permissions';

/**
 * What a key can do is bounded by the member answerable for it, its owner: a key never does more
 * than its owner could do today. Its application scopes (orders:read) are the platform's business
 * and don't depend on the owner, so an integration survives its owner leaving; its permissions of
 * this API (team:read, audit:read, ...) are cut to what the owner holds now, and are gone once the
 * owner has left the team.
 */

/** The scopes of a key that are permissions of this API (the rest are application scopes). */
export function apiPermissionsOf(scopes: readonly string[]): string[] {
  return scopes.filter(isPermission);
}

/** The API permissions a key may use now; `owner` is null once its owner has left the team. */
export function keyPermissions(
  scopes: readonly string[],
  owner: PermissionSet | null,
): PermissionSet {
  if (!owner) return NOTHING;
  return new Set(apiPermissionsOf(scopes).filter((permission) => owner.has(permission)));
}

/** What a key can do right now: its application scopes and its API permissions cut to its owner's. */
export function effectiveScopes(scopes: readonly string[], owner: PermissionSet | null): string[] {
  const api = keyPermissions(scopes, owner);
  return scopes.filter((scope) => !isPermission(scope) || api.has(scope));
}
