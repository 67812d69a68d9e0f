import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { requireId } from '../../validation';
import { ApiKey } from '../api-key/api-key.entity';
import type { GraphQLContext } from '../graphql-context';
import { Team } from '../team/team.entity';
import { ApiKeyPolicy, ApiKeyPolicyInput } from './api-key-policy.entity';
import { breachesOf } from './policy-breaches';

@Resolver(() => ApiKeyPolicy)
export class ApiKeyPolicyResolver {
  @Mutation(() => ApiKeyPolicy, {
    description:
      "Set the team's rules for its keys (needs team:manage). Keys made before a stricter rule keep working and are listed as out of policy.",
  })
  setApiKeyPolicy(
    @Arg('teamId', () => ID, { description: 'The team.' }) teamId: string,
    @Arg('input', () => ApiKeyPolicyInput, {
      description: 'The rules to change; a field left out keeps its value.',
    })
    input: ApiKeyPolicyInput,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<ApiKeyPolicy> {
    return services.apiKeyPolicies.set(actor, requireId(teamId, 'teamId'), input);
  }

  @Query(() => [ApiKey], {
    description: 'active keys of the team that expire within the given days, soonest first',
  })
  expiringApiKeys(
    @Arg('teamId', () => ID, { description: 'The team.' }) teamId: string,
    @Arg('withinDays', () => Int, {
      nullable: true,
      defaultValue: 14,
      description: '1 to 365 days; 14 when omitted or null.',
    })
    withinDays: number | null,
    @Ctx() { services }: GraphQLContext,
  ): Promise<ApiKey[]> {
    return services.apiKeyPolicies.expiring(requireId(teamId, 'teamId'), withinDays ?? 14);
  }
}

@Resolver(() => Team)
export class TeamApiKeyPolicyResolver {
  @FieldResolver(() => ApiKeyPolicy, { description: "The team's rules for its keys." })
  apiKeyPolicy(@Root() team: Team, @Ctx() { loaders }: GraphQLContext): Promise<ApiKeyPolicy> {
    return loaders.apiKeyPolicy.load(team.id);
  }
}

@Resolver(() => ApiKey)
export class ApiKeyPolicyBreachesResolver {
  @FieldResolver(() => [String], {
    description:
      "The team's key rules this key breaks, in plain words (it was made before them); empty when it follows them all.",
  })
  async policyBreaches(@Root() key: ApiKey, @Ctx() { loaders }: GraphQLContext): Promise<string[]> {
    const policy = await loaders.apiKeyPolicy.load(key.teamId);
    return breachesOf(policy, key).map((breach) => breach.message);
  }
}
