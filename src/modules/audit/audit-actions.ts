import type { EventType } from './event-types';

/**
 * What an audit entry can say happened: every action the service writes, with what it means.
 * Names are `subject.pastTense`. Writers name actions by this catalogue's type (AuditAction), so a
 * misspelt action is a type error. A mutation that was refused or failed is written under the
 * action its success would have (MUTATION_ACTIONS), as DENIED or FAILURE.
 *
 * The log itself keeps whatever was written when (the `actions` filter takes any dotted name), so
 * renaming an entry here leaves the old name in existing chains: add, don't rename.
 */
export interface AuditActionDescription {
  /** what a person reads in the activity log: a few plain words, e.g. "Revoked an API key" */
  label: string;
  /** what it means, for auditors */
  description: string;
  /** the webhook event a successful entry sends to the team's endpoints, if any */
  event?: EventType;
}

export const AUDIT_ACTIONS = {
  // accounts and sessions (the platform chain: they belong to no team)
  'user.bootstrapAdminCreated': {
    label: 'Created the first administrator account',
    description: 'At start-up on an empty database, the service created the platform admin.',
  },
  'user.signedUp': {
    label: 'Created an account',
    description: 'Someone created an account by signing up.',
  },
  'user.passwordChanged': {
    label: 'Changed their password',
    description: 'A person changed their password; their other sessions ended.',
  },
  'user.emailVerified': {
    label: 'Confirmed their email address',
    description: 'A person followed the link emailed to them, confirming the address is theirs.',
  },
  'user.verificationEmailSent': {
    label: 'Asked for a new link to confirm their email address',
    description: 'A person had a new confirmation link emailed to their address.',
  },
  'user.profileUpdated': {
    label: 'Changed their name',
    description: 'A person changed their name.',
  },
  'auth.loggedIn': {
    label: 'Signed in',
    description: 'A person signed in.',
  },
  'auth.loginFailed': {
    label: 'Tried to sign in',
    description: 'A sign-in was refused: unknown email, wrong password or a locked account.',
  },
  'auth.lockedOut': {
    label: 'Was locked out after failed sign-ins',
    description:
      'Failed sign-ins reached a limit: sign-ins of that account or address are refused for a while.',
  },
  'auth.loggedOut': {
    label: 'Signed out',
    description: 'A person signed out of the session they used.',
  },
  'auth.loggedOutEverywhere': {
    label: 'Signed out everywhere',
    description: 'A person ended every one of their sessions.',
  },
  'auth.sessionRevoked': {
    label: 'Ended a session',
    description: 'A person ended one of their sessions.',
  },

  // teams, members and invitations
  'team.created': {
    label: 'Created the team',
    description: 'A person created a team and became its Owner.',
  },
  'team.updated': {
    label: 'Renamed the team',
    description: 'The team was renamed.',
  },
  'team.readByPlatformAdmin': {
    label: "A platform administrator looked at the team's data",
    description:
      "A platform admin read the team's data without being a member (one entry per admin, team and hour).",
  },
  'member.added': {
    label: 'Added a member',
    description: 'A platform admin added a person to the team directly.',
    event: 'member.joined',
  },
  'member.invited': {
    label: 'Invited someone to join',
    description: 'An email address was invited to join the team with a role.',
    event: 'member.invited',
  },
  'member.joined': {
    label: 'Joined the team',
    description: 'An invited person accepted the invitation and joined the team.',
    event: 'member.joined',
  },
  'member.roleChanged': {
    label: "Changed a member's role",
    description: "A member's role was changed.",
    event: 'member.roleChanged',
  },
  'member.removed': {
    label: 'Removed a member',
    description: 'A member was removed from the team.',
    event: 'member.removed',
  },
  'member.left': {
    label: 'Left the team',
    description: 'A member left the team.',
    event: 'member.removed',
  },
  'invitation.declined': {
    label: 'Declined an invitation',
    description: 'An invited person declined the invitation.',
  },
  'invitation.revoked': {
    label: 'Took back an invitation',
    description: 'The team took back an invitation nobody had answered.',
  },

  // roles and single permissions
  'role.created': {
    label: 'Created a role',
    description: 'A custom role was created.',
  },
  'role.updated': {
    label: 'Changed a role',
    description: "A custom role's name, description or permissions changed.",
  },
  'role.deleted': {
    label: 'Deleted a role',
    description: 'A custom role was deleted.',
  },
  'permission.granted': {
    label: 'Gave a member a permission',
    description: 'One permission was granted to a member, on top of their role.',
  },
  'permission.revoked': {
    label: "Took back a member's permission",
    description: 'A grant of one permission to a member was revoked.',
  },

  // API keys
  'apiKey.created': {
    label: 'Created an API key',
    description: 'An API key was created (its secret is never recorded).',
    event: 'apiKey.created',
  },
  'policy.changed': {
    label: "Changed the team's key rules",
    description:
      "The team's rules for its keys or its catalogue of application scopes changed (old and new values).",
    event: 'policy.changed',
  },
  'apiKey.updated': {
    label: 'Changed an API key',
    description: "A key's name, description, scopes, allowed addresses or expiry changed.",
    event: 'apiKey.updated',
  },
  'apiKey.secretRegenerated': {
    label: 'Regenerated the secret of an API key',
    description: 'A key was given a new secret; the old one stopped working at once.',
    event: 'apiKey.regenerated',
  },
  'apiKey.revoked': {
    label: 'Revoked an API key',
    description: 'A key was revoked: it is refused from then on.',
    event: 'apiKey.revoked',
  },
  'apiKey.expiring': {
    label: 'An API key expires soon',
    description: 'The service noticed that a key expires in 14, 7 or 1 days (daysLeft).',
    event: 'apiKey.expiring',
  },
  'apiKey.expired': {
    label: 'An API key expired',
    description: 'The service noticed that a key reached its expiry and stopped working.',
    event: 'apiKey.expired',
  },
  'apiKey.transferred': {
    label: 'Gave an API key to another member',
    description: 'A key was handed to another member of the team, who now owns it.',
  },
  'apiKey.used': {
    label: 'Used an API key',
    description:
      'Uses of a key in one minute (to this API, verifyApiCredentials or /v1/authorize), counted by address, answer and route: SUCCESS if every use was accepted, DENIED if any was not.',
  },
  'apiKey.usedFromNewAddress': {
    label: 'Used an API key from a new address',
    description:
      'A key was presented with its right secret from an address it had never been used from: the first such use, with its request.',
  },
  'apiKey.verified': {
    label: 'Checked API key credentials',
    description:
      'A verifyApiCredentials call was itself refused or failed (a limit, bad input); keys it checked are apiKey.used.',
  },
  'apiKey.leaked': {
    label: 'Revoked an API key because its secret leaked',
    description:
      'Someone reported the secret of a live key as found in public (reportLeakedSecret, or GitHub secret scanning): the service revoked the key at once. ' +
      'The metadata holds the public key, where it was found and how it was reported, never the secret. ' +
      'A report by a signed-in caller that was refused (a limit, bad input) is written under this action too, as DENIED or FAILURE.',
    event: 'apiKey.leaked',
  },

  // webhooks
  'webhook.endpointCreated': {
    label: 'Added a webhook endpoint',
    description: 'A webhook endpoint was registered (its signing secret is never recorded).',
  },
  'webhook.endpointUpdated': {
    label: 'Changed a webhook endpoint',
    description: "A webhook endpoint's address, events, description or state changed.",
  },
  'webhook.endpointDeleted': {
    label: 'Deleted a webhook endpoint',
    description: 'A webhook endpoint was deleted with its deliveries.',
  },
  'webhook.secretRotated': {
    label: 'Rotated the signing secret of a webhook endpoint',
    description:
      'A webhook endpoint got a new signing secret; the old one signs beside it for 24 hours.',
  },
  'webhook.endpointDisabled': {
    label: 'A webhook endpoint was turned off after failing',
    description:
      'Deliveries to a webhook endpoint failed for days, so the service stopped sending to it.',
  },
  'webhook.testSent': {
    label: 'Sent a test webhook',
    description: 'A test event was sent to a webhook endpoint.',
  },
  'webhook.redelivered': {
    label: 'Sent a webhook again',
    description: 'A delivery of an event was sent again on request.',
  },

  // the audit log
  'audit.exported': {
    label: 'Downloaded the activity log',
    description: "The team's audit log was exported; the metadata holds the format and the filter.",
  },
  'audit.archived': {
    label: 'Archived the oldest activity',
    description:
      "The start of the team's chain was archived to a file and removed from the table (npm run audit:archive).",
  },

  // the platform security log (security_events): counts per minute, never a row per request
  'security.mutationRefused': {
    label: 'Refused changes from outside the team',
    description:
      'Mutations refused or failed for callers with no stake in the team they named: anonymous, of another team, ' +
      'or naming no team that exists.',
  },
  'security.authRefused': {
    label: 'Refused sign-in details or credentials',
    description:
      'Credentials refused before anything ran (401), or callers over their failure limit (429).',
  },
  'security.overflow': {
    label: 'Refused many more requests',
    description:
      "Refusals past the security log's rows for one minute, counted together in one row.",
  },
} as const satisfies Record<string, AuditActionDescription>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export function isAuditAction(name: string): name is AuditAction {
  return Object.prototype.hasOwnProperty.call(AUDIT_ACTIONS, name);
}
