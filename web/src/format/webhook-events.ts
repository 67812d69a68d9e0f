import type { WebhookDeliveryStatus } from '../graphql/generated';
import { formatDate } from './dates';
import { formatCount } from './numbers';

/**
 * Webhooks in words: each event type as a sentence ("A key was revoked"), the groups the add
 * dialog offers them in, an endpoint's state, and how a delivery went ("Delivered (200, 35 ms)").
 * The raw names (apiKey.revoked) stay beside the words, small: they are what receivers see.
 */
const EVENT_WORDS: Record<string, string> = {
  'apiKey.created': 'A key was created',
  'apiKey.updated': 'A key was changed',
  'apiKey.regenerated': 'A key got a new secret',
  'apiKey.revoked': 'A key was revoked',
  'apiKey.expiring': 'A key expires soon',
  'apiKey.expired': 'A key expired',
  'apiKey.leaked': 'A key was revoked because its secret leaked',
  'member.invited': 'Someone was invited to the team',
  'member.joined': 'Someone joined the team',
  'member.removed': 'A member was removed or left',
  'member.roleChanged': "A member's role changed",
  'policy.changed': "The team's key rules changed",
  'webhook.test': 'A test event',
};

/** "A key was revoked" for apiKey.revoked; a name the app doesn't know yet stays as it is. */
export function eventWords(type: string): string {
  return EVENT_WORDS[type] ?? type;
}

export interface EventGroup {
  label: string;
  types: string[];
}

const GROUPS: { prefix: string; label: string }[] = [
  { prefix: 'apiKey.', label: 'API keys' },
  { prefix: 'member.', label: 'Members' },
  { prefix: 'policy.', label: 'Rules' },
];

/** The event types in the groups the dialog shows them in, in the API's order; others last. */
export function groupEventTypes(types: readonly string[]): EventGroup[] {
  const groups: EventGroup[] = GROUPS.map(({ label }) => ({ label, types: [] }));
  const other: EventGroup = { label: 'Other', types: [] };
  for (const type of types) {
    const at = GROUPS.findIndex(({ prefix }) => type.startsWith(prefix));
    (at === -1 ? other : groups[at]).types.push(type);
  }
  return [...groups, other].filter((group) => group.types.length > 0);
}

export interface EndpointState {
  enabled: boolean;
  failingSince?: string | null;
  disabledAt?: string | null;
}

/** "On", "Off", "Failing since 3 Mar 2026", "Turned off on 6 Mar 2026 after failing since 3 Mar 2026". */
export function endpointStateText({ enabled, failingSince, disabledAt }: EndpointState): string {
  if (!enabled) {
    if (!disabledAt) return 'Off';
    return failingSince
      ? `Turned off on ${formatDate(disabledAt)} after failing since ${formatDate(failingSince)}`
      : `Turned off on ${formatDate(disabledAt)} after failing for days`;
  }
  return failingSince ? `Failing since ${formatDate(failingSince)}` : 'On';
}

/** Whether the state needs attention (it is then shown in a warning colour, besides its words). */
export function endpointNeedsAttention(state: EndpointState): boolean {
  return Boolean(state.failingSince || state.disabledAt);
}

const STATUS_WORDS: Record<WebhookDeliveryStatus, string> = {
  SUCCEEDED: 'Delivered',
  FAILED: 'Failed',
  PENDING: 'Waiting',
};

export function deliveryStatusWords(status: WebhookDeliveryStatus): string {
  return STATUS_WORDS[status];
}

export function durationText(durationMs: number | null | undefined): string {
  return durationMs == null ? '' : `${formatCount(durationMs)} ms`;
}

interface DeliveryAnswer {
  status: WebhookDeliveryStatus;
  responseStatus?: number | null;
  durationMs?: number | null;
  error?: string | null;
}

/** Why an attempt failed, in words: "answered 503", "no answer in time", "the connection was refused". */
export function failureReason({ responseStatus, error }: DeliveryAnswer): string {
  if (responseStatus != null) return `answered ${responseStatus}`;
  if (!error) return 'no answer';
  if (error === 'timed out') return 'no answer in time';
  if (/ECONNREFUSED/.test(error)) return 'the connection was refused';
  if (/ECONNRESET|socket hang up/.test(error)) return 'the connection was cut';
  if (/ENOTFOUND|does not resolve/.test(error)) return "the address's name wasn't found";
  return error;
}

/** How an attempt went: "Delivered (200, 35 ms)", "Failed: answered 503", "Waiting to be sent". */
export function deliveryOutcome(delivery: DeliveryAnswer): string {
  if (delivery.status === 'SUCCEEDED') {
    const details = [delivery.responseStatus, durationText(delivery.durationMs)].filter(
      (part) => part != null && part !== '',
    );
    return details.length ? `Delivered (${details.join(', ')})` : 'Delivered';
  }
  if (delivery.status === 'FAILED') return `Failed: ${failureReason(delivery)}`;
  return 'Waiting to be sent';
}

/** A sentence for the server's refusal of a URL ("url must point to a public address"). */
export function urlProblemWords(message: string): string {
  if (/at most \d+ webhook endpoints/.test(message)) {
    const max = /at most (\d+)/.exec(message)?.[1];
    return `A team can have at most ${max} endpoints. Delete one you no longer need first.`;
  }
  if (/public address/.test(message))
    return 'Use an address on the public internet: private and local addresses are refused.';
  if (/user name or password/.test(message))
    return 'Leave the user name and password out of the address.';
  if (/#fragment/.test(message)) return 'Leave out the part of the address after #.';
  if (/https:\/\//.test(message))
    return 'Enter a full address that starts with https://, e.g. https://example.com/hooks.';
  return "This address wasn't accepted. Check it and try again.";
}
