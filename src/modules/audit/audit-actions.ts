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
  description: string;
}

export const AUDIT_ACTIONS = {
  // accounts and sessions (the platform chain: they belong to no team)
  'user.bootstrapAdminCreated': {
    description: 'At start-up on an empty database, the service created the platform admin.',
  },
  'user.signedUp': { description: 'Someone created an account by signing up.' },
  'user.passwordChanged': {
    description: 'A person changed their password; their other sessions ended.',
  },
  'user.profileUpdated': { description: 'A person changed their name.' },
  'auth.loggedIn': { description: 'A person signed in.' },
  'auth.loginFailed': {
    description: 'A sign-in was refused: unknown email, wrong password or a locked account.',
  },
  'auth.lockedOut': {
    description:
      'Failed sign-ins reached a limit: sign-ins of that account or address are refused for a while.',
  },
  'auth.loggedOut': { description: 'A person signed out of the session they used.' },
  'auth.loggedOutEverywhere': { description: 'A person ended every one of their sessions.' },
  'auth.sessionRevoked': { description: 'A person ended one of their sessions.' },

  // teams, members and invitations
  'team.created': { description: 'A person created a team and became its Owner.' },
  'team.updated': { description: 'The team was renamed.' },
  'team.readByPlatformAdmin': {
    description:
      "A platform admin read the team's data without being a member (one entry per admin, team and hour).",
  },
  'member.added': { description: 'A platform admin added a person to the team directly.' },
  'member.invited': { description: 'An email address was invited to join the team with a role.' },
  'member.joined': {
    description: 'An invited person accepted the invitation and joined the team.',
  },
  'member.roleChanged': { description: "A member's role was changed." },
  'member.removed': { description: 'A member was removed from the team.' },
  'member.left': { description: 'A member left the team.' },
  'invitation.declined': { description: 'An invited person declined the invitation.' },
  'invitation.revoked': { description: 'The team took back an invitation nobody had answered.' },

  // roles and single permissions
  'role.created': { description: 'A custom role was created.' },
  'role.updated': { description: "A custom role's name, description or permissions changed." },
  'role.deleted': { description: 'A custom role was deleted.' },
  'permission.granted': {
    description: 'One permission was granted to a member, on top of their role.',
  },
  'permission.revoked': { description: 'A grant of one permission to a member was revoked.' },

  // API keys
  'apiKey.created': { description: 'An API key was created (its secret is never recorded).' },
  'apiKey.updated': {
    description: "A key's name, description, scopes, allowed addresses or expiry changed.",
  },
  'apiKey.secretRegenerated': {
    description: 'A key was given a new secret; the old one stopped working at once.',
  },
  'apiKey.revoked': { description: 'A key was revoked: it is refused from then on.' },
  'apiKey.transferred': {
    description: 'A key was handed to another member of the team, who now owns it.',
  },
  'apiKey.used': {
    description:
      'A key was presented to this API, to verifyApiCredentials or to /v1/authorize: SUCCESS if accepted, DENIED if not.',
  },
  'apiKey.verified': {
    description:
      'A verifyApiCredentials call was itself refused or failed (a limit, bad input); keys it checked are apiKey.used.',
  },

  // the audit log
  'audit.exported': {
    description: "The team's audit log was exported; the metadata holds the format and the filter.",
  },
  'audit.archived': {
    description:
      "The start of the team's chain was archived to a file and removed from the table (npm run audit:archive).",
  },

  // the platform security log (security_events): counts per minute, never a row per request
  'security.mutationRefused': {
    description:
      'Mutations refused or failed for callers with no stake in the team they named: anonymous, of another team, ' +
      'or naming no team that exists.',
  },
  'security.authRefused': {
    description:
      'Credentials refused before anything ran (401), or callers over their failure limit (429).',
  },
  'security.overflow': {
    description:
      "Refusals past the security log's rows for one minute, counted together in one row.",
  },
} as const satisfies Record<string, AuditActionDescription>;

export type AuditAction = keyof typeof AUDIT_ACTIONS;

export function isAuditAction(name: string): name is AuditAction {
  return Object.prototype.hasOwnProperty.call(AUDIT_ACTIONS, name);
}
