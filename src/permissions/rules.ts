import { GraphQLError } from 'graphql';
import { rule } from 'graphql-shield';
import type DataLoader from 'dataloader';
import type { Principal } from '../auth/principal';
import { badInput, forbidden, notFound, unauthenticated } from '../errors';
import { databaseUnavailable, isDatabaseUnavailable } from '../database-unavailable';
import { isUuid } from '../validation';
import type { Permission } from './catalog';
import { describeKeyAction, keyActionRefusal, type KeyAction } from './key-policy';
import type { PermissionSet } from './member-permissions';
import type { TeamAccess } from './team-access';

/**
 * The building blocks of the rule map (rule-map.ts): who may call an operation, which team it
 * acts in (a locator) and what the caller must hold there. `decide` answers for one call; the
 * shield rules, the audit of refused mutations and the routes outside GraphQL all go through it.
 */

type Args = Record<string, unknown>;

type ById<T> = DataLoader<string, T | null>;

/**
 * What deciding needs of a request: who is calling, and the request's lookups of the objects a
 * rule locates a team through (the context's loaders; only what the rules read of them).
 */
export interface AuthorizationContext {
  actor: { principal: Principal; access: TeamAccess };
  loaders: {
    team: ById<unknown>;
    role: ById<{ teamId: string }>;
    membership: ById<{ teamId: string }>;
    grant: ById<{ membershipId: string }>;
    invitation: ById<{ teamId: string }>;
    apiKey: ById<{ teamId: string; ownerId: string | null; scopes: string[] }>;
    webhookEndpoint: ById<{ teamId: string }>;
    webhookDelivery: ById<{ endpointId: string }>;
  };
}

/** Finds the team that the target of a field belongs to; null when the target does not exist. */
export type TeamLocator = (
  parent: unknown,
  args: Args,
  ctx: AuthorizationContext,
) => Promise<string | null | GraphQLError>;

/** A decision that needs the object itself (a key's owner and scopes), not only the team. */
export interface ObjectPolicy {
  /** the rule in words, for the schema's documentation of the operations that use it */
  describe: string;
  decide(
    permissions: PermissionSet,
    parent: unknown,
    args: Args,
    ctx: AuthorizationContext,
  ): Promise<true | GraphQLError>;
}

export interface Operation {
  /** who may call at all: anyone; a signed-in user or key; a person (a user, never a key); a platform admin */
  caller: 'anyone' | 'signedIn' | 'person' | 'platformAdmin';
  /**
   * the team it acts in, and what the caller must hold there; `reads`: it reads the team's data
   * (a platform admin's pass is recorded in the team's log)
   */
  team?: { locate: TeamLocator; needs: Requirement; reads?: boolean };
}

/** What the caller must hold in the team: a permission, any of several (none: being in the team), or a policy. */
export type Requirement = Permission | readonly Permission[] | ObjectPolicy;

export const anyone: Operation = { caller: 'anyone' };
export const signedIn: Operation = { caller: 'signedIn' };
export const person: Operation = { caller: 'person' };

/**
 * Needs `needs` in the team `locate` finds; API keys may call it with the matching scope. A read:
 * keys hold only read permissions, so whatever they may call reads and changes nothing.
 */
export function inTeam(needs: Permission | readonly Permission[], locate: TeamLocator): Operation {
  return { caller: 'signedIn', team: { locate, needs, reads: true } };
}

/**
 * As inTeam, for what a team shows of itself wherever it is listed (its name, its roles): not a
 * read of its data, so a platform admin's look at the list of every team is not recorded in each.
 */
export function teamDirectory(needs: Permission, locate: TeamLocator): Operation {
  return { caller: 'signedIn', team: { locate, needs } };
}

/** As inTeam, for people only: an API key never changes keys, members, roles or teams. */
export function personInTeam(needs: Requirement, locate: TeamLocator): Operation {
  return { caller: 'person', team: { locate, needs } };
}

export function platformAdmin(locate: TeamLocator): Operation {
  return { caller: 'platformAdmin', team: { locate, needs: [] } };
}

export function isPolicy(needs: Requirement): needs is ObjectPolicy {
  return typeof needs === 'object' && 'decide' in needs;
}

function refusedCaller(operation: Operation, ctx: AuthorizationContext): GraphQLError | null {
  const { principal } = ctx.actor;
  if (operation.caller === 'anyone') return null;
  if (principal.type === 'ANONYMOUS') return unauthenticated();
  if (operation.caller === 'signedIn') return null;
  if (principal.type !== 'USER') return forbidden('Only a signed-in user can do this');
  if (operation.caller === 'platformAdmin' && !principal.user.isPlatformAdmin)
    return forbidden('Only a platform admin can do this');
  return null;
}

/**
 * May the caller of this request run `operation` on these arguments? true, or the error to answer
 * with. A team the caller can't see at all answers NOT_FOUND, exactly as if the object did not
 * exist; a visible team without the permission answers FORBIDDEN. Never throws: a database out of
 * reach answers as such (503), not as a missing permission.
 */
export async function decide(
  operation: Operation,
  parent: unknown,
  args: Args,
  ctx: AuthorizationContext,
): Promise<true | GraphQLError> {
  const refused = refusedCaller(operation, ctx);
  if (refused) return refused;
  if (!operation.team) return true;
  if (ctx.actor.principal.type === 'ANONYMOUS') return unauthenticated();
  try {
    const teamId = await operation.team.locate(parent, args, ctx);
    if (teamId instanceof GraphQLError) return teamId;
    if (teamId === null) return notFound();
    const permissions = await ctx.actor.access.permissionsIn(teamId);
    if (!permissions) return notFound();
    const { needs, reads } = operation.team;
    const decision = isPolicy(needs)
      ? await needs.decide(permissions, parent, args, ctx)
      : holds(permissions, needs);
    if (decision === true && reads) await ctx.actor.access.readAllowed(teamId);
    return decision;
  } catch (error) {
    if (isDatabaseUnavailable(error)) return databaseUnavailable();
    throw error;
  }
}

function holds(
  permissions: PermissionSet,
  needs: Permission | readonly Permission[],
): true | GraphQLError {
  const anyOf: readonly Permission[] = typeof needs === 'string' ? [needs] : needs;
  if (anyOf.length === 0 || anyOf.some((p) => permissions.has(p))) return true;
  return forbidden(`This needs the ${anyOf.join(' or ')} permission`);
}

/** The team an operation acts in, for the audit of a refusal; null when it names none that exists. */
export async function teamOf(
  operation: Operation | undefined,
  parent: unknown,
  args: Args,
  ctx: AuthorizationContext,
): Promise<string | null> {
  if (!operation?.team) return null;
  const teamId = await operation.team.locate(parent, args, ctx);
  if (typeof teamId !== 'string') return null;
  return (await ctx.loaders.team.load(teamId)) ? teamId : null;
}

let ruleCount = 0;
/** The operation as a graphql-shield rule (shield wants a distinct name for every rule instance). */
export function shieldRule(operation: Operation) {
  // `cache: 'no_cache'`: shield's `contextual` cache ignores arguments and parent, which would let
  // one object's answer leak to another. The DataLoaders already make repeats cheap.
  return rule(`operation#${++ruleCount}`, { cache: 'no_cache' })(
    (parent, args: Args, ctx: AuthorizationContext) => decide(operation, parent, args, ctx),
  );
}

/** A well-formed id argument, or the BAD_USER_INPUT error to answer with. */
function idArg(args: Args, name: string): string | GraphQLError {
  const value = args[name];
  return isUuid(value) ? value.toLowerCase() : badInput(`${name} is not a valid id`, name);
}

/** Locators: from an argument or the parent object to the team it belongs to. */
export const locate = {
  teamArg:
    (name = 'teamId'): TeamLocator =>
    async (_p, args) =>
      idArg(args, name),
  teamInInput:
    (input = 'input', name = 'teamId'): TeamLocator =>
    async (_p, args) =>
      idArg((args[input] ?? {}) as Args, name),
  parentTeam: (): TeamLocator => async (parent) => (parent as { id: string }).id,
  parentTeamId: (): TeamLocator => async (parent) => (parent as { teamId: string }).teamId,
  role:
    (name = 'id'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      return id instanceof GraphQLError ? id : ((await ctx.loaders.role.load(id))?.teamId ?? null);
    },
  membership:
    (name = 'membershipId'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      return id instanceof GraphQLError
        ? id
        : ((await ctx.loaders.membership.load(id))?.teamId ?? null);
    },
  grant:
    (name = 'id'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      if (id instanceof GraphQLError) return id;
      const grant = await ctx.loaders.grant.load(id);
      return grant
        ? ((await ctx.loaders.membership.load(grant.membershipId))?.teamId ?? null)
        : null;
    },
  invitation:
    (name = 'id'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      return id instanceof GraphQLError
        ? id
        : ((await ctx.loaders.invitation.load(id))?.teamId ?? null);
    },
  apiKey:
    (name = 'id'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      return id instanceof GraphQLError
        ? id
        : ((await ctx.loaders.apiKey.load(id))?.teamId ?? null);
    },
  webhookEndpoint:
    (name = 'id'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      return id instanceof GraphQLError
        ? id
        : ((await ctx.loaders.webhookEndpoint.load(id))?.teamId ?? null);
    },
  webhookDelivery:
    (name = 'deliveryId'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      if (id instanceof GraphQLError) return id;
      const delivery = await ctx.loaders.webhookDelivery.load(id);
      return delivery
        ? ((await ctx.loaders.webhookEndpoint.load(delivery.endpointId))?.teamId ?? null)
        : null;
    },
};

/** What a person may do to the key an `id` argument names (key-policy.ts), as an object policy. */
export function onKey(action: KeyAction, name = 'id'): ObjectPolicy {
  return {
    describe: describeKeyAction(action),
    async decide(permissions, _parent, args, ctx) {
      const { principal } = ctx.actor;
      const key = await ctx.loaders.apiKey.load(String(args[name]).toLowerCase());
      if (!key || principal.type !== 'USER') return notFound();
      const refusal = keyActionRefusal(action, { userId: principal.user.id, permissions }, key);
      return refusal ? forbidden(refusal) : true;
    },
  };
}
