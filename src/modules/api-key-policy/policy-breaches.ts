import { isPermission } from '../../permissions/catalog';
import type { ApiKeyPolicy } from './api-key-policy.entity';

/** What of a key the team's rules look at. */
export interface KeyTerms {
  createdAt: Date;
  expiresAt: Date | null;
  allowedIps: readonly string[];
  scopes: readonly string[];
}

/** A rule a key breaks: the input field it is about, and the rule in plain words. */
export interface Breach {
  field: 'expiresAt' | 'allowedIps' | 'scopes';
  message: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The team's rules this key breaks, in the order a person fixes them: its expiry, its addresses,
 * its scopes. Application scopes only: this API's own permissions are governed by the owner's
 * permissions, not by the policy.
 */
export function breachesOf(policy: ApiKeyPolicy, key: KeyTerms): Breach[] {
  const breaches: Breach[] = [];
  const { maxLifetimeDays: days } = policy;
  if (key.expiresAt === null && (policy.requireExpiry || days !== null)) {
    breaches.push({ field: 'expiresAt', message: "The team's key rules require an expiry" });
  } else if (key.expiresAt && days !== null) {
    const latest = new Date(key.createdAt.getTime() + days * DAY_MS);
    if (key.expiresAt > latest)
      breaches.push({
        field: 'expiresAt',
        message: `The team's key rules let a key live at most ${days} days: expiresAt must be on or before ${latest.toISOString()}`,
      });
  }
  if (policy.requireAllowedIps && key.allowedIps.length === 0)
    breaches.push({
      field: 'allowedIps',
      message: "The team's key rules require the addresses a key may be used from (allowedIps)",
    });
  if (policy.allowedApplicationScopes) {
    const allowed = new Set(policy.allowedApplicationScopes);
    const refused = key.scopes.filter((scope) => !isPermission(scope) && !allowed.has(scope));
    if (refused.length)
      breaches.push({
        field: 'scopes',
        message: `The team's key rules don't allow the application scope${refused.length > 1 ? 's' : ''} ${refused.join(', ')}`,
      });
  }
  return breaches;
}
