/**
 * The events a team's webhooks can receive, with what each means. Each comes from an audit entry:
 * the audit catalogue (audit-actions.ts) names the event of every action that has one, so an
 * event can't be sent for something the log does not hold, and the two names can't drift.
 */
export const EVENT_TYPES = {
  'apiKey.created': 'An API key was created.',
  'apiKey.updated': "An API key's name, description, scopes, addresses, expiry or limits changed.",
  'apiKey.regenerated': 'An API key was given a new secret; the old one stopped working.',
  'apiKey.revoked': 'An API key was revoked by a person.',
  'apiKey.expiring': 'An API key expires in 14, 7 or 1 days.',
  'apiKey.expired': 'An API key reached its expiry and stopped working.',
  'apiKey.leaked': 'An API key was revoked because its secret was found where it should not be.',
  'member.invited': 'Someone was invited to join the team.',
  'member.joined': 'A person joined the team.',
  'member.removed': 'A member was removed from the team, or left it.',
  'member.roleChanged': "A member's role changed.",
  'policy.changed': "The team's rules for its keys changed.",
} as const;

export type EventType = keyof typeof EVENT_TYPES;

export const isEventType = (name: string): name is EventType =>
  Object.prototype.hasOwnProperty.call(EVENT_TYPES, name);

/** Sent by sendTestWebhook only; no endpoint subscribes to it. */
export const TEST_EVENT = 'webhook.test';
