import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { buildSchema } from 'type-graphql';
import { listMeter } from './graphql/list-meter';
import { ApiKeyUsageResolver, AuditResolver } from './modules/audit/audit.resolver';
import { auditRefusedMutations } from './modules/audit/mutation-audit';
import { documentAccess } from './permissions/describe';
import { permissionsShield } from './permissions/rule-map';
import { ApiKeyResolver } from './modules/api-key/api-key.resolver';
import { AuthResolver } from './modules/user/auth.resolver';
import { SessionResolver } from './modules/user/session.resolver';
import { InvitationResolver, TeamInvitationsResolver } from './modules/invitation/invitation.resolver';
import { MembershipResolver, PermissionGrantResolver } from './modules/team/membership.resolver';
import { RoleResolver } from './modules/team/role.resolver';
import { TeamResolver } from './modules/team/team.resolver';

export const resolvers = [
  AuthResolver,
  SessionResolver,
  TeamResolver,
  MembershipResolver,
  PermissionGrantResolver,
  RoleResolver,
  InvitationResolver,
  TeamInvitationsResolver,
  ApiKeyResolver,
  ApiKeyUsageResolver,
  AuditResolver,
] as const;

/**
 * The schema as TypeGraphQL builds it from the classes, each operation documented with who may
 * call it (from the rule map): what `npm run schema` prints.
 */
export async function buildBareSchema(): Promise<GraphQLSchema> {
  return documentAccess(await buildSchema({
    resolvers,
    // We check input ourselves (src/validation.ts) with messages that never echo the value.
    validate: false,
    emitSchemaFile: false,
  }));
}

/** The served schema: the same, with graphql-shield guarding every field and lists metered by their size. */
export async function buildGuardedSchema(): Promise<GraphQLSchema> {
  const bare = await buildBareSchema();
  // Outermost first: the audit middleware sees what shield refused; only allowed lists are metered.
  return applyMiddleware(bare, auditRefusedMutations, permissionsShield(), listMeter(bare));
}
