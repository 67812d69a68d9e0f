import { badInput, forbidden } from '../../errors';
import { isApiKeyGrantable, isPermission } from '../../permissions/catalog';
import { normalizeAllowedIp } from '../../security/ip-allowlist';
import { requireTime } from '../../validation';

// Resources whose permissions belong to this API: a scope naming one must be in the catalogue.
const OWN_RESOURCES = new Set(['team', 'members', 'roles', 'apiKeys', 'audit', 'webhooks']);
const SCOPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}:[A-Za-z0-9_.*-]{1,63}$/;
export const MAX_SCOPES = 50;
export const MAX_ALLOWED_IPS = 100;

/**
 * A key's scopes: read permissions of this API, plus free application scopes (`orders:read`).
 * Never a permission that changes keys, members, roles or teams (BAD_USER_INPUT: no key may hold
 * one), and never one of this API's permissions that the person creating it lacks (FORBIDDEN).
 */
export function checkScopes(scopes: readonly string[], held: ReadonlySet<string>): string[] {
  if (scopes.length > MAX_SCOPES)
    throw badInput(`scopes may hold at most ${MAX_SCOPES} entries`, 'scopes');
  const unique = [...new Set(scopes.map((s) => s.trim()))];
  for (const scope of unique) {
    if (!SCOPE.test(scope))
      throw badInput('scopes must look like resource:action, e.g. orders:read', 'scopes');
    const resource = scope.slice(0, scope.indexOf(':'));
    if (OWN_RESOURCES.has(resource)) {
      if (!isPermission(scope))
        throw badInput('scopes names a permission of this API that does not exist', 'scopes');
      if (!isApiKeyGrantable(scope)) {
        throw badInput(
          'An API key cannot hold a permission that changes keys, members, roles or teams',
          'scopes',
        );
      }
      if (!held.has(scope)) throw forbidden("You can't give a key a permission you don't hold");
    }
  }
  return unique.sort();
}

/**
 * The name of an application scope (`orders:read`): the scope form, and not a resource of this
 * API, whose permissions are the catalogue's.
 */
export function checkApplicationScope(name: string, field: string): string {
  const scope = name.trim();
  if (!SCOPE.test(scope))
    throw badInput(`${field} must look like resource:action, e.g. orders:read`, field);
  if (OWN_RESOURCES.has(scope.slice(0, scope.indexOf(':'))))
    throw badInput(`${field} names a permission of this API, not an application scope`, field);
  return scope;
}

export function checkAllowedIps(entries: readonly string[]): string[] {
  if (entries.length > MAX_ALLOWED_IPS)
    throw badInput(`allowedIps may hold at most ${MAX_ALLOWED_IPS} entries`, 'allowedIps');
  const normalized = entries.map((entry) => {
    const ip = normalizeAllowedIp(entry);
    if (!ip)
      throw badInput(
        'allowedIps holds an entry that is neither an address nor a CIDR block',
        'allowedIps',
      );
    return ip;
  });
  return [...new Set(normalized)];
}

export function checkExpiry(expiresAt: Date | null | undefined): Date | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  requireTime(expiresAt, 'expiresAt');
  if (expiresAt.getTime() <= Date.now())
    throw badInput('expiresAt must be in the future', 'expiresAt');
  return expiresAt;
}
