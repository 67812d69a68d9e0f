import { GraphQLError, type GraphQLSchema } from 'graphql';
import type { IMiddlewareTypeMap } from 'graphql-middleware';
import { allow, deny, shield } from 'graphql-shield';
import type { IRules } from 'graphql-shield';
import {
  anyone,
  inTeam,
  locate,
  onKey,
  person,
  personInTeam,
  platformAdmin,
  shieldRule,
  signedIn,
  teamDirectory,
  type Operation,
} from './rules';

/**
 * Who may call what: the one table. Every Query and Mutation field is a row: who may call it, the
 * team it acts in (its locator, written once) and what the caller must hold there. The shield
 * rules are built from it, the audit of refused mutations files a refusal in the team the row
 * locates, and the routes outside GraphQL (ROUTE_OPERATIONS) are decided by the same function.
 * Anything not named falls to `deny` (a test walks the schema to keep it that way).
 *
 * A person's own things (sessions, profile, invitations addressed to them) need only a session:
 * their services act on the caller's own rows.
 */
export const OPERATIONS = {
  Query: {
    viewer: anyone,
    me: person,
    teams: signedIn,
    team: inTeam('team:read', locate.teamArg('id')),
    permissionCatalog: anyone,
    auditActions: anyone,
    apiKey: inTeam('apiKeys:read', locate.apiKey()),
    apiKeys: inTeam('apiKeys:read', locate.teamArg()),
    expiringApiKeys: inTeam('apiKeys:read', locate.teamArg()),
    auditEvents: inTeam('audit:read', locate.teamArg()),
    verifyAuditChain: inTeam('audit:read', locate.teamArg()),
    auditChainHead: inTeam('audit:read', locate.teamArg()),
    webhookEventTypes: anyone,
    myInvitations: person,
    mySessions: person,
    myLockouts: person,
    signUpAllowed: anyone,
  },
  Mutation: {
    signUp: anyone,
    logIn: anyone,
    logOut: person,
    // the token is the credential: whoever holds the link confirms the address it was sent to
    verifyEmail: anyone,
    sendEmailVerification: person,
    logOutEverywhere: person,
    changePassword: person,
    revokeSession: person,
    updateProfile: person,
    createTeam: person,
    updateTeam: personInTeam('team:manage', locate.teamArg('id')),
    setApiKeyPolicy: personInTeam('team:manage', locate.teamArg()),
    // a member of the team (a platform admin is not one: the service refuses it)
    leaveTeam: personInTeam([], locate.teamArg()),
    // joining a team needs the person's consent (inviteTeamMember); the platform admin may still add directly
    addTeamMember: platformAdmin(locate.teamArg()),
    inviteTeamMember: personInTeam('members:manage', locate.teamArg()),
    // answered by the person it is addressed to: for anyone else the service answers NOT_FOUND
    acceptInvitation: person,
    declineInvitation: person,
    revokeInvitation: personInTeam('members:manage', locate.invitation()),
    changeMemberRole: personInTeam('members:manage', locate.membership()),
    removeTeamMember: personInTeam('members:manage', locate.membership()),
    createRole: personInTeam('roles:manage', locate.teamArg()),
    updateRole: personInTeam('roles:manage', locate.role()),
    deleteRole: personInTeam('roles:manage', locate.role()),
    grantPermission: personInTeam('members:manage', locate.membership()),
    revokePermissionGrant: personInTeam('members:manage', locate.grant()),
    createApiKey: personInTeam('apiKeys:create', locate.teamInInput()),
    updateApiKey: personInTeam(onKey('update'), locate.apiKey()),
    regenerateApiKeySecret: personInTeam(onKey('regenerate'), locate.apiKey()),
    revokeApiKey: personInTeam(onKey('revoke'), locate.apiKey()),
    transferApiKey: personInTeam(onKey('transfer'), locate.apiKey()),
    // Gateways call it without a session; it answers only about the credentials it is given.
    verifyApiCredentials: anyone,
    createWebhookEndpoint: personInTeam('webhooks:manage', locate.teamArg()),
    updateWebhookEndpoint: personInTeam('webhooks:manage', locate.webhookEndpoint()),
    deleteWebhookEndpoint: personInTeam('webhooks:manage', locate.webhookEndpoint()),
    rotateWebhookSecret: personInTeam('webhooks:manage', locate.webhookEndpoint()),
    sendTestWebhook: personInTeam('webhooks:manage', locate.webhookEndpoint()),
    redeliverWebhook: personInTeam('webhooks:manage', locate.webhookDelivery()),
    // Whoever found a secret reports it, credentials or not; the answer tells nothing (always true).
    reportLeakedSecret: anyone,
  },
} satisfies Record<'Query' | 'Mutation', Record<string, Operation>>;

/** Routes outside GraphQL, decided by the same rules (their arguments are query parameters). */
export const ROUTE_OPERATIONS = {
  auditExport: inTeam('audit:read', locate.teamArg()),
} satisfies Record<string, Operation>;

/** The row of a root field, if it has one. */
export function operationOf(type: 'Query' | 'Mutation', field: string): Operation | undefined {
  return (OPERATIONS[type] as Record<string, Operation>)[field];
}

const rootRules = (rows: Record<string, Operation>) =>
  Object.fromEntries(Object.entries(rows).map(([field, op]) => [field, shieldRule(op)]));

/**
 * The shield's rule map: the root rows above, and the object types below the root. Those are
 * reachable only through a root field that was allowed, so their fields are open except where a
 * field reveals more than its parent (Team.members, ApiKey.createdBy, ApiKey.usage).
 */
export const ruleMap: IRules = {
  Query: rootRules(OPERATIONS.Query),
  Mutation: rootRules(OPERATIONS.Mutation),
  // However a Team is reached (teams, apiKey.team, ...), its details need team:read in it.
  Team: {
    '*': shieldRule(teamDirectory('team:read', locate.parentTeam())),
    id: allow,
    viewerPermissions: allow,
    members: shieldRule(inTeam('members:read', locate.parentTeam())),
    invitations: shieldRule(personInTeam('members:manage', locate.parentTeam())),
    webhookEndpoints: shieldRule(personInTeam('webhooks:manage', locate.parentTeam())),
  },
  Membership: allow,
  Invitation: allow,
  PermissionGrant: allow,
  Role: allow,
  User: allow,
  PermissionInfo: allow,
  AuditActionInfo: allow,
  Viewer: allow,
  AuthPayload: allow,
  Session: allow,
  AccountLockout: allow,
  ApiKey: {
    '*': allow,
    // Who created or owns a key is a member's identity: members:read, as for Team.members. A
    // gateway verifying credentials without a session sees the key, not its people.
    createdBy: shieldRule(inTeam('members:read', locate.parentTeamId())),
    owner: shieldRule(inTeam('members:read', locate.parentTeamId())),
    // Usage counts come from the audit log: they need audit:read, not just a view of the key.
    usage: shieldRule(inTeam('audit:read', locate.parentTeamId())),
  },
  ApiKeyWithSecret: allow,
  ApiKeyConnection: allow,
  ApiKeyEdge: allow,
  PageInfo: allow,
  ApiKeyVerification: allow,
  AuditEvent: allow,
  AuditActor: allow,
  AuditEventEdge: allow,
  AuditEventConnection: allow,
  AuditChainVerification: allow,
  AuditChainHead: allow,
  ApiKeyUsageDay: allow,
  ApiKeyPolicy: allow,
  RateLimit: allow,
  RateLimitState: allow,
  UsageCredits: allow,
  WebhookEndpoint: allow,
  WebhookEndpointWithSecret: allow,
  WebhookDelivery: allow,
  WebhookDeliveryEdge: allow,
  WebhookDeliveryConnection: allow,
  ApplicationScope: allow,
};

const fallbackError = () =>
  new GraphQLError('You are not allowed to do this', { extensions: { code: 'FORBIDDEN' } });

/**
 * The shield, as field middleware only where a rule decides something. A field whose rule is
 * `allow` is left unwrapped: shield would otherwise run an always-true rule, through promises, on
 * every field of every object it resolves (a page of 50 keys is about a thousand fields). Every
 * other field, a rule's or one the map doesn't name (deny), is guarded.
 */
export function permissionsShield(schema: GraphQLSchema): IMiddlewareTypeMap {
  const generator = shield(ruleMap, {
    fallbackRule: deny,
    // Errors of our resolvers (NOT_FOUND, BAD_USER_INPUT, ...) reach the client as they are.
    allowExternalErrors: true,
    fallbackError,
  });
  const generated = generator.generate(schema) as Record<string, Record<string, unknown>>;
  const guarded: Record<string, Record<string, unknown>> = {};
  for (const [typeName, fields] of Object.entries(generated)) {
    const kept = Object.entries(fields).filter(([field]) => ruleOf(typeName, field) !== allow);
    if (kept.length) guarded[typeName] = Object.fromEntries(kept);
  }
  return guarded as IMiddlewareTypeMap;
}

/** The rule that decides a field, as shield reads the map: the field's, the type's '*', or deny. */
function ruleOf(typeName: string, field: string): unknown {
  const entry = (ruleMap as Record<string, unknown>)[typeName];
  if (entry === undefined) return deny;
  // a rule for the whole type is a class instance (Rule, ...); a field map is a plain object
  if (Object.getPrototypeOf(entry) !== Object.prototype) return entry;
  const fields = entry as Record<string, unknown>;
  return fields[field] ?? fields['*'] ?? deny;
}
