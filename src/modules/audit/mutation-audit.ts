import { GraphQLError, type GraphQLResolveInfo } from 'graphql';
import type { IMiddlewareFunction } from 'graphql-middleware';
import type { GraphQLContext } from '../graphql-context';
import { errorCode } from '../../errors';
import { loggableError } from '../../logger';
import { operationOf, type OPERATIONS } from '../../permissions/rule-map';
import { teamOf } from '../../permissions/rules';
import { isUuid } from '../../validation';
import type { AuditAction } from './audit-actions';
import { AuditOutcome } from './audit-event.entity';

type MutationField = keyof typeof OPERATIONS.Mutation;

/** How a refused or failed mutation is written: its action and, when an argument names it, its target. */
interface MutationAudit {
  action: AuditAction;
  targetType?: string;
  targetArg?: string;
}

/**
 * The audit action of each mutation (of the rule map: every one has a row), as the services name
 * it when it succeeds.
 */
export const MUTATION_ACTIONS: Record<MutationField, MutationAudit> = {
  signUp: { action: 'user.signedUp', targetType: 'User' },
  logIn: { action: 'auth.loginFailed', targetType: 'User' },
  logOut: { action: 'auth.loggedOut', targetType: 'User' },
  verifyEmail: { action: 'user.emailVerified', targetType: 'User' },
  sendEmailVerification: { action: 'user.verificationEmailSent', targetType: 'User' },
  createTeam: { action: 'team.created', targetType: 'Team' },
  addTeamMember: { action: 'member.added', targetType: 'Team', targetArg: 'teamId' },
  inviteTeamMember: { action: 'member.invited', targetType: 'Team', targetArg: 'teamId' },
  acceptInvitation: { action: 'member.joined', targetType: 'Invitation', targetArg: 'id' },
  declineInvitation: { action: 'invitation.declined', targetType: 'Invitation', targetArg: 'id' },
  revokeInvitation: { action: 'invitation.revoked', targetType: 'Invitation', targetArg: 'id' },
  changeMemberRole: {
    action: 'member.roleChanged',
    targetType: 'Membership',
    targetArg: 'membershipId',
  },
  removeTeamMember: {
    action: 'member.removed',
    targetType: 'Membership',
    targetArg: 'membershipId',
  },
  createRole: { action: 'role.created', targetType: 'Team', targetArg: 'teamId' },
  updateRole: { action: 'role.updated', targetType: 'Role', targetArg: 'id' },
  deleteRole: { action: 'role.deleted', targetType: 'Role', targetArg: 'id' },
  grantPermission: {
    action: 'permission.granted',
    targetType: 'Membership',
    targetArg: 'membershipId',
  },
  revokePermissionGrant: {
    action: 'permission.revoked',
    targetType: 'PermissionGrant',
    targetArg: 'id',
  },
  createApiKey: { action: 'apiKey.created', targetType: 'Team' },
  createWebhookEndpoint: {
    action: 'webhook.endpointCreated',
    targetType: 'Team',
    targetArg: 'teamId',
  },
  updateWebhookEndpoint: {
    action: 'webhook.endpointUpdated',
    targetType: 'WebhookEndpoint',
    targetArg: 'id',
  },
  deleteWebhookEndpoint: {
    action: 'webhook.endpointDeleted',
    targetType: 'WebhookEndpoint',
    targetArg: 'id',
  },
  rotateWebhookSecret: {
    action: 'webhook.secretRotated',
    targetType: 'WebhookEndpoint',
    targetArg: 'id',
  },
  sendTestWebhook: { action: 'webhook.testSent', targetType: 'WebhookEndpoint', targetArg: 'id' },
  redeliverWebhook: {
    action: 'webhook.redelivered',
    targetType: 'WebhookDelivery',
    targetArg: 'deliveryId',
  },
  updateApiKey: { action: 'apiKey.updated', targetType: 'ApiKey', targetArg: 'id' },
  regenerateApiKeySecret: {
    action: 'apiKey.secretRegenerated',
    targetType: 'ApiKey',
    targetArg: 'id',
  },
  revokeApiKey: { action: 'apiKey.revoked', targetType: 'ApiKey', targetArg: 'id' },
  transferApiKey: { action: 'apiKey.transferred', targetType: 'ApiKey', targetArg: 'id' },
  updateTeam: { action: 'team.updated', targetType: 'Team', targetArg: 'id' },
  setApiKeyPolicy: { action: 'policy.changed', targetType: 'Team', targetArg: 'teamId' },
  leaveTeam: { action: 'member.left', targetType: 'Team', targetArg: 'teamId' },
  verifyApiCredentials: { action: 'apiKey.verified' },
  reportLeakedSecret: { action: 'apiKey.leaked' },
  changePassword: { action: 'user.passwordChanged', targetType: 'User' },
  logOutEverywhere: { action: 'auth.loggedOutEverywhere', targetType: 'User' },
  revokeSession: { action: 'auth.sessionRevoked', targetType: 'Session', targetArg: 'id' },
  updateProfile: { action: 'user.profileUpdated', targetType: 'User' },
};

/**
 * Mutations whose services audit their own failures (a failed sign-in is a DENIED
 * auth.loginFailed written by UserService), so this middleware must not write a second row.
 */
const SELF_AUDITED_FAILURES = new Set(['logIn']);

const DENIED_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'RATE_LIMITED']);

/**
 * Successful mutations write their audit row inside their own transaction (services). This
 * middleware, wrapped around graphql-shield, writes the row for every mutation that did NOT
 * succeed: refused by a permission rule (DENIED) or failed on bad input, a conflict or a bug
 * (FAILURE). The change was rolled back, so the row goes in a transaction of its own; or, for a
 * caller with no stake in the team, it is counted in the security log instead (whereFiled).
 */
export const auditRefusedMutations: IMiddlewareFunction = async (
  resolve,
  parent,
  args,
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
) => {
  const fieldArgs = args as Record<string, unknown>;
  let outcome: unknown;
  try {
    outcome = await resolve(parent, args, ctx, info);
  } catch (error) {
    await recordFailure(ctx, info.fieldName, fieldArgs, error);
    throw error;
  }
  if (outcome instanceof Error) await recordFailure(ctx, info.fieldName, fieldArgs, outcome);
  return outcome;
};

async function recordFailure(
  ctx: GraphQLContext,
  field: string,
  args: Record<string, unknown>,
  error: unknown,
): Promise<void> {
  if (SELF_AUDITED_FAILURES.has(field)) return;
  const code = errorCode(error) ?? 'INTERNAL_SERVER_ERROR';
  const outcome = DENIED_CODES.has(code) ? AuditOutcome.DENIED : AuditOutcome.FAILURE;
  try {
    // every mutation of the schema has a row in the rule map, and every row an entry (a test checks both)
    const described: MutationAudit | undefined = MUTATION_ACTIONS[field as MutationField];
    if (!described) throw new Error(`mutation ${field} has no audit action`);
    const target = targetOf(described, args);
    const filed = await whereFiled(ctx, field, args);
    if (filed.in === 'securityLog')
      return noteInSecurityLog(ctx, field, code, outcome, filed.teamId);
    await ctx.services.audit.recordAlone(ctx.actor, {
      teamId: filed.teamId,
      action: described.action,
      outcome,
      targetType: target ? described.targetType : null,
      targetId: target,
      metadata: {
        mutation: field,
        code,
        ...(error instanceof GraphQLError && error.extensions?.field
          ? { field: error.extensions.field }
          : {}),
      },
    });
  } catch (auditError) {
    // The refusal stands either way; a failed audit write is logged, not shown to the client.
    ctx.log.error({ err: loggableError(auditError) }, 'could not audit a refused mutation');
  }
}

function targetOf(described: { targetArg?: string }, args: Record<string, unknown>): string | null {
  const value = described.targetArg ? args[described.targetArg] : undefined;
  return isUuid(value) ? value.toLowerCase() : null;
}

interface Filed {
  in: 'chain' | 'securityLog';
  /** the team the operation named, if it exists */
  teamId: string | null;
}

/**
 * Where a refusal is filed. Only callers with a stake write into a chain: in the team's chain when
 * the caller belongs to the team the operation's row locates (a member, the team's own key, a
 * platform admin); in the platform chain when the operation acts in no team and a signed-in caller
 * made it (its own account's business). Everyone else, anonymous callers and callers naming a team
 * they are not in or one that does not exist, is counted in the security log (security-log.ts),
 * which an attacker's flood can't grow per request.
 */
async function whereFiled(
  ctx: GraphQLContext,
  field: string,
  args: Record<string, unknown>,
): Promise<Filed> {
  const operation = operationOf('Mutation', field);
  const teamId = await teamOf(operation, undefined, args, ctx);
  if (ctx.actor.principal.type === 'ANONYMOUS') return { in: 'securityLog', teamId };
  if (!operation?.team) return { in: 'chain', teamId: null };
  const member = teamId !== null && (await ctx.actor.access.permissionsIn(teamId)) !== null;
  return { in: member ? 'chain' : 'securityLog', teamId };
}

function noteInSecurityLog(
  ctx: GraphQLContext,
  field: string,
  code: string,
  outcome: AuditOutcome,
  teamId: string | null,
): void {
  const { principal, ip, userAgent, requestId, clientRequestId } = ctx.actor;
  ctx.services.securityLog.note({
    action: 'security.mutationRefused',
    outcome: outcome === AuditOutcome.DENIED ? AuditOutcome.DENIED : AuditOutcome.FAILURE,
    principal,
    ip,
    userAgent,
    requestId,
    clientRequestId,
    code,
    teamId,
    mutation: field,
  });
}
