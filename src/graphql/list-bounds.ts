import {
  MAX_APPLICATION_SCOPES,
  MAX_EXPIRING_KEYS,
} from '../modules/api-key-policy/api-key-policy.service';
import { MAX_ALLOWED_IPS, MAX_SCOPES } from '../modules/api-key/api-key-input';
import { MAX_API_KEY_PAGE } from '../modules/api-key/api-key-page';
import { AUDIT_ACTIONS } from '../modules/audit/audit-actions';
import { AuditOutcome } from '../modules/audit/audit-event.entity';
import { MAX_AUDIT_PAGE, MAX_USAGE_DAYS } from '../modules/audit/audit-query.service';
import { EVENT_TYPES } from '../modules/audit/event-types';
import { MAX_LISTED_LOCKOUTS } from '../modules/user/account-lockouts';
import { MAX_DELIVERY_PAGE } from '../modules/webhook/delivery-page';
import { PERMISSION_CATALOG } from '../permissions/catalog';

/**
 * How many items each list field of the schema may hold, for the query cost (query-cost.ts): a
 * list multiplies the cost of what is selected below it by its size. Every list field of the
 * schema has a row (a test walks the schema), saying where its bound comes from.
 *
 * - page: a connection; everything below it is multiplied by the `first` it is given (literal or
 *   variable, default applied), clamped as its service clamps it;
 * - inPage: the edges of a connection, already counted by the page above them;
 * - bound: at most `max` items, a limit the code or the schema enforces;
 * - byArgs: a size computed from the field's arguments;
 * - measured: nothing bounds it but the data (a team's members). Counted as one item before the
 *   operation runs, then charged by its real size when it resolves (list-meter.ts): a list that
 *   takes the operation over the limit answers the same cost error instead of its items.
 */
export type ListSize =
  | { kind: 'page'; max: number; source: string }
  | { kind: 'inPage'; source: string }
  | { kind: 'bound'; max: number; source: string }
  | { kind: 'byArgs'; max: number; size(args: Record<string, unknown>): number; source: string }
  | { kind: 'measured'; source: string };

const CATALOG = PERMISSION_CATALOG.length;
const EVENT_TYPE_COUNT = Object.keys(EVENT_TYPES).length;
const DAY_MS = 86_400_000;
const OUTCOMES = Object.keys(AuditOutcome).length;

/** Days a usage period spans, times one row per outcome; at most the period the service accepts. */
function usageRows(args: Record<string, unknown>): number {
  const { from, to } = args;
  if (!(from instanceof Date) || !(to instanceof Date)) return 1;
  const days = Math.ceil((to.getTime() - from.getTime()) / DAY_MS) + 1;
  return Math.min(Math.max(days, 1), MAX_USAGE_DAYS + 1) * OUTCOMES;
}

export const LIST_SIZES: Record<string, ListSize> = {
  'Query.apiKeys': {
    kind: 'page',
    max: MAX_API_KEY_PAGE,
    source: 'readKeyPage clamps first at MAX_API_KEY_PAGE',
  },
  'Query.auditEvents': {
    kind: 'page',
    max: MAX_AUDIT_PAGE,
    source: 'AuditQueryService.page clamps first at MAX_AUDIT_PAGE',
  },
  'ApiKeyConnection.edges': { kind: 'inPage', source: 'the page of Query.apiKeys' },
  'AuditEventConnection.edges': { kind: 'inPage', source: 'the page of Query.auditEvents' },
  'Query.permissionCatalog': {
    kind: 'bound',
    max: CATALOG,
    source: 'the permission catalogue (catalog.ts)',
  },
  'Query.auditActions': {
    kind: 'bound',
    max: Object.keys(AUDIT_ACTIONS).length,
    source: 'the catalogue of audit actions (audit-actions.ts)',
  },
  'Team.viewerPermissions': { kind: 'bound', max: CATALOG, source: 'permissions of the catalogue' },
  'Role.permissions': {
    kind: 'bound',
    max: CATALOG,
    source: 'permissions of the catalogue (role input is checked against it)',
  },
  'Membership.grants': {
    kind: 'bound',
    max: CATALOG,
    source: 'one grant per permission: unique (membership_id, permission)',
  },
  'ApiKey.scopes': { kind: 'bound', max: MAX_SCOPES, source: 'MAX_SCOPES in api-key-input.ts' },
  'ApiKey.policyBreaches': {
    kind: 'bound',
    max: 4,
    source: "one per rule of the team's key rules",
  },
  'Query.expiringApiKeys': {
    kind: 'bound',
    max: MAX_EXPIRING_KEYS,
    source: 'MAX_EXPIRING_KEYS in api-key-policy.service.ts',
  },
  'ApiKeyPolicy.allowedApplicationScopes': {
    kind: 'bound',
    max: MAX_APPLICATION_SCOPES,
    source: 'MAX_APPLICATION_SCOPES in api-key-policy.service.ts',
  },
  'ApiKeyPolicy.applicationScopes': {
    kind: 'bound',
    max: MAX_APPLICATION_SCOPES,
    source: 'MAX_APPLICATION_SCOPES in api-key-policy.service.ts',
  },
  'ApiKey.effectiveScopes': {
    kind: 'bound',
    max: MAX_SCOPES,
    source: "a subset of the key's scopes",
  },
  'ApiKey.allowedIps': {
    kind: 'bound',
    max: MAX_ALLOWED_IPS,
    source: 'MAX_ALLOWED_IPS in api-key-input.ts',
  },
  'ApiKeyVerification.scopes': {
    kind: 'bound',
    max: MAX_SCOPES,
    source: "the verified key's scopes",
  },
  'ApiKey.usage': {
    kind: 'byArgs',
    max: (MAX_USAGE_DAYS + 1) * OUTCOMES,
    size: usageRows,
    source:
      'one row per day of from..to and outcome; AuditQueryService.usage refuses periods over MAX_USAGE_DAYS',
  },
  'Query.teams': {
    kind: 'measured',
    source: "the caller's memberships; every team for a platform admin",
  },
  'Team.members': { kind: 'measured', source: 'members of the team: not capped' },
  'Team.roles': { kind: 'measured', source: 'four built-in roles and any number of custom ones' },
  'Team.invitations': { kind: 'measured', source: 'invitations of the team: not capped' },
  'Team.webhookEndpoints': {
    kind: 'measured',
    source: 'endpoints of the team (at most MAX_ENDPOINTS_PER_TEAM in webhook.service.ts)',
  },
  'WebhookEndpoint.events': {
    kind: 'bound',
    max: EVENT_TYPE_COUNT,
    source: 'event types of the catalogue (event-types.ts), each at most once',
  },
  'Query.webhookEventTypes': {
    kind: 'bound',
    max: EVENT_TYPE_COUNT,
    source: 'the event types of event-types.ts',
  },
  'WebhookEndpoint.deliveries': {
    kind: 'page',
    max: MAX_DELIVERY_PAGE,
    source: 'readDeliveryPage clamps first at MAX_DELIVERY_PAGE',
  },
  'WebhookDeliveryConnection.edges': {
    kind: 'inPage',
    source: 'the page of WebhookEndpoint.deliveries',
  },
  'Query.myInvitations': {
    kind: 'measured',
    source: "invitations addressed to the caller's email",
  },
  'Query.mySessions': { kind: 'measured', source: "the caller's sessions" },
  'Query.myLockouts': {
    kind: 'bound',
    max: MAX_LISTED_LOCKOUTS,
    source: 'AccountLockouts.mine: MAX_LISTED_LOCKOUTS',
  },
};
