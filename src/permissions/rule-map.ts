import { GraphQLError } from 'graphql';
import { allow, chain, deny, shield } from 'graphql-shield';
import type { IRules } from 'graphql-shield';
import { isAuthenticated, isUser, locate, teamPermission } from './rules';

/**
 * Who may call what. Every Query and Mutation field is named here with its rule; anything that
 * is not falls to `deny` (a test walks the schema to keep it that way). Object types below the
 * root are reachable only through a root field that was allowed, so their fields are open
 * except where a field reveals more than its parent (Team.members).
 *
 * `chain` runs left to right and stops at the first refusal: an API key trying a mutation is
 * told FORBIDDEN by isUser before any lookup is made.
 */
export const ruleMap: IRules = {
  Query: {
    viewer: allow,
    me: isUser,
    teams: isAuthenticated,
    team: teamPermission('team:read', locate.teamArg('id')),
    permissionCatalog: allow,
    apiKey: teamPermission('apiKeys:read', locate.apiKey()),
    apiKeys: teamPermission('apiKeys:read', locate.teamArg()),
    auditEvents: teamPermission('audit:read', locate.teamArg()),
    verifyAuditChain: teamPermission('audit:read', locate.teamArg()),
  },
  Mutation: {
    signUp: allow,
    logIn: allow,
    logOut: isUser,
    createTeam: isUser,
    addTeamMember: chain(isUser, teamPermission('members:manage', locate.teamArg())),
    changeMemberRole: chain(isUser, teamPermission('members:manage', locate.membership())),
    removeTeamMember: chain(isUser, teamPermission('members:manage', locate.membership())),
    createRole: chain(isUser, teamPermission('roles:manage', locate.teamArg())),
    updateRole: chain(isUser, teamPermission('roles:manage', locate.role())),
    deleteRole: chain(isUser, teamPermission('roles:manage', locate.role())),
    grantPermission: chain(isUser, teamPermission('members:manage', locate.membership())),
    revokePermissionGrant: chain(isUser, teamPermission('members:manage', locate.grant())),
    createApiKey: chain(isUser, teamPermission('apiKeys:create', locate.teamInInput())),
    // apiKeys:create reaches only the caller's own keys: the service checks the creator.
    updateApiKey: chain(isUser, teamPermission(['apiKeys:manage', 'apiKeys:create'], locate.apiKey())),
    regenerateApiKeySecret: chain(isUser, teamPermission(['apiKeys:manage', 'apiKeys:create'], locate.apiKey())),
    revokeApiKey: chain(isUser, teamPermission(['apiKeys:manage', 'apiKeys:create'], locate.apiKey())),
    // Gateways call it without a session; it answers only about the credentials it is given.
    verifyApiCredentials: allow,
  },
  // However a Team is reached (teams, apiKey.team, ...), its details need team:read in it.
  Team: {
    '*': teamPermission('team:read', locate.parentTeam()),
    id: allow,
    viewerPermissions: allow,
    members: teamPermission('members:read', locate.parentTeam()),
  },
  Membership: allow,
  PermissionGrant: allow,
  Role: allow,
  User: allow,
  PermissionInfo: allow,
  Viewer: allow,
  AuthPayload: allow,
  // Usage counts come from the audit log: they need audit:read, not just a view of the key.
  ApiKey: {
    '*': allow,
    // Who created a key is a member's identity: members:read, as for Team.members. A gateway
    // verifying credentials without a session sees the key, not its creator's email.
    createdBy: teamPermission('members:read', locate.parentTeamId()),
    usage: teamPermission('audit:read', locate.parentTeamId()),
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
  ApiKeyUsageDay: allow,
};

export const fallbackError = () =>
  new GraphQLError('You are not allowed to do this', { extensions: { code: 'FORBIDDEN' } });

export function permissionsShield() {
  return shield(ruleMap, {
    fallbackRule: deny,
    // Errors of our resolvers (NOT_FOUND, BAD_USER_INPUT, ...) reach the client as they are.
    allowExternalErrors: true,
    fallbackError,
  });
}
