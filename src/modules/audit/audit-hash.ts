import { createHash } from 'node:crypto';
import { hashedValues, type HashableEvent } from './audit-fields';

export type { HashableEvent } from './audit-fields';

/** Chain of events that belong to no team (failed sign-ins of unknown accounts, bootstrap). */
export const PLATFORM_CHAIN = '00000000-0000-0000-0000-000000000000';

/** Where hash chains live: a table of events and one of chain heads, with the columns of audit_events and audit_chain_heads. */
export interface ChainTables {
  events: 'audit_events' | 'security_events';
  heads: 'audit_chain_heads' | 'security_chain_heads';
}

/** The teams' chains and the platform chain: one chain per team_id (null: the platform's). */
export const AUDIT_CHAINS: ChainTables = { events: 'audit_events', heads: 'audit_chain_heads' };

/** The platform security log: a single chain of its own, under SECURITY_CHAIN. */
export const SECURITY_LOG: ChainTables = {
  events: 'security_events',
  heads: 'security_chain_heads',
};
export const SECURITY_CHAIN = PLATFORM_CHAIN;

/** JSON with object keys sorted at every level: jsonb does not keep key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * SHA-256 over every stored field of the event (AUDIT_FIELDS, in its order) and the hash of the
 * one before it in its chain: editing, deleting, inserting or reordering a row breaks the link to
 * every later row.
 */
export function hashEvent(event: HashableEvent): string {
  return createHash('sha256')
    .update(canonicalJson(hashedValues(event)))
    .digest('hex');
}

// Names that end like a secret (secret, apiSecret, newPassword, sessionToken); secretVersion
// and secretLast4 are not secrets and stay.
const SECRET_KEY = /(secret|password|passwd|token|authorization|credentials?)$/i;

/**
 * Metadata as it will be stored: plain JSON (dates as ISO strings, so the hash computed now is
 * the hash of what jsonb gives back), and, as defence in depth, without any field named like a
 * secret, whatever its value.
 */
export function sanitizeMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(
    JSON.stringify(metadata, (key, value: unknown) =>
      key !== '' && SECRET_KEY.test(key) ? undefined : value,
    ),
  ) as Record<string, unknown>;
}
