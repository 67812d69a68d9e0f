import type { AuditOutcome } from '../graphql/generated';

/**
 * What each audit action means, in plain words for the Activity page. The log keeps whatever
 * action names were written at the time, so an unknown name is shown as it is.
 */
const ACTION_WORDS: Record<string, string> = {
  'user.bootstrapAdminCreated': 'Created the first administrator account',
  'user.signedUp': 'Created an account',
  'user.passwordChanged': 'Changed their password',
  'user.profileUpdated': 'Changed their name',
  'auth.loggedIn': 'Signed in',
  'auth.loginFailed': 'Tried to sign in',
  'auth.lockedOut': 'Was locked out after failed sign-ins',
  'auth.loggedOut': 'Signed out',
  'auth.loggedOutEverywhere': 'Signed out everywhere',
  'auth.sessionRevoked': 'Ended a session',
  'team.created': 'Created the team',
  'team.updated': 'Renamed the team',
  'team.readByPlatformAdmin': "A platform administrator looked at the team's data",
  'member.added': 'Added a member',
  'member.invited': 'Invited someone to join',
  'member.joined': 'Joined the team',
  'member.roleChanged': "Changed a member's role",
  'member.removed': 'Removed a member',
  'member.left': 'Left the team',
  'invitation.declined': 'Declined an invitation',
  'invitation.revoked': 'Took back an invitation',
  'role.created': 'Created a role',
  'role.updated': 'Changed a role',
  'role.deleted': 'Deleted a role',
  'permission.granted': 'Gave a member a permission',
  'permission.revoked': "Took back a member's permission",
  'apiKey.created': 'Created an API key',
  'apiKey.updated': 'Changed an API key',
  'apiKey.secretRegenerated': 'Regenerated the secret of an API key',
  'apiKey.revoked': 'Revoked an API key',
  'apiKey.transferred': 'Gave an API key to another member',
  'apiKey.used': 'Used an API key',
  'apiKey.verified': 'Checked API key credentials',
  'audit.exported': 'Downloaded the activity log',
  'audit.archived': 'Archived the oldest activity',
};

export function describeAction(action: string): string {
  return ACTION_WORDS[action] ?? action;
}

/** Actions for the Activity page's filter, in the order of the list above. */
export const ACTION_CHOICES: { value: string; label: string }[] = Object.entries(ACTION_WORDS)
  .filter(([action]) => !action.startsWith('user.') && !action.startsWith('auth.'))
  .map(([value, label]) => ({ value, label }));

export const OUTCOME_WORDS: Record<AuditOutcome, string> = {
  SUCCESS: 'Allowed',
  DENIED: 'Refused',
  FAILURE: 'Failed',
};

export function describeOutcome(outcome: AuditOutcome): string {
  return OUTCOME_WORDS[outcome];
}
