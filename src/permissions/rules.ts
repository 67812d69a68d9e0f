import { GraphQLError } from 'graphql';
import { rule } from 'graphql-shield';
import type { GraphQLContext } from '../context/context';
import { badInput, forbidden, notFound, unauthenticated } from '../errors';
import { databaseUnavailable, isDatabaseUnavailable } from '../graphql/format-error';
import { isUuid } from '../validation';
import type { Permission } from './catalog';

/**
 * The building blocks of the rule map. A rule returns true, or the error the client should see;
 * it never throws (graphql-shield turns a thrown error into its fallback).
 *
 * `cache: 'no_cache'` everywhere: shield's `contextual` cache ignores arguments and parent, which
 * would let one object's answer leak to another. The DataLoaders already make repeats cheap.
 */

type Args = Record<string, unknown>;

/** Finds the team that the target of a field belongs to; null when the target does not exist. */
export type TeamLocator = (parent: unknown, args: Args, ctx: GraphQLContext) => Promise<string | null | GraphQLError>;

export const isUser = rule({ cache: 'no_cache' })(async (_p, _a, ctx: GraphQLContext) => {
  const type = ctx.actor.principal.type;
  if (type === 'USER') return true;
  return type === 'ANONYMOUS' ? unauthenticated() : forbidden('Only a signed-in user can do this');
});

export const isAuthenticated = rule({ cache: 'no_cache' })(async (_p, _a, ctx: GraphQLContext) =>
  ctx.actor.principal.type === 'ANONYMOUS' ? unauthenticated() : true,
);

/**
 * The caller holds `permission` (or one of several) in the team of the target. A team the caller can't see at
 * all answers NOT_FOUND, exactly as if the object did not exist; a visible team without the
 * permission answers FORBIDDEN.
 */
let ruleCount = 0;
export function teamPermission(permission: Permission | Permission[], locate: TeamLocator) {
  const anyOf = Array.isArray(permission) ? permission : [permission];
  // shield wants a distinct name for every rule instance
  return rule(`${anyOf.join('|')}#${++ruleCount}`, { cache: 'no_cache' })(async (parent, args: Args, ctx: GraphQLContext) => {
    if (ctx.actor.principal.type === 'ANONYMOUS') return unauthenticated();
    try {
      const teamId = await locate(parent, args, ctx);
      if (teamId instanceof GraphQLError) return teamId;
      if (teamId === null) return notFound();
      const permissions = await ctx.actor.access.permissionsIn(teamId);
      if (!permissions) return notFound();
      return anyOf.some((p) => permissions.has(p)) ? true : forbidden(`This needs the ${anyOf.join(' or ')} permission`);
    } catch (error) {
      // shield would answer a thrown error with its FORBIDDEN fallback: a database out of reach
      // must say so (503), not tell the caller it lacks a permission
      if (isDatabaseUnavailable(error)) return databaseUnavailable();
      throw error;
    }
  });
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
      return id instanceof GraphQLError ? id : ((await ctx.loaders.membership.load(id))?.teamId ?? null);
    },
  grant:
    (name = 'id'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      if (id instanceof GraphQLError) return id;
      const grant = await ctx.loaders.grant.load(id);
      return grant ? ((await ctx.loaders.membership.load(grant.membershipId))?.teamId ?? null) : null;
    },
  apiKey:
    (name = 'id'): TeamLocator =>
    async (_p, args, ctx) => {
      const id = idArg(args, name);
      return id instanceof GraphQLError ? id : ((await ctx.loaders.apiKey.load(id))?.teamId ?? null);
    },
};
