import {
  Arg,
  Args,
  Ctx,
  FieldResolver,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { badInput, notFound } from '../../errors';
import { effectiveScopes } from '../../permissions/key-permissions';
import { keyActionRefusal, type KeyAction } from '../../permissions/key-policy';
import { normalizeIp } from '../../security/ip-allowlist';
import { isIpAddress, requireId } from '../../validation';
import { Team } from '../team/team.entity';
import { User } from '../user/user.entity';
import { ApiKey, LEAK_SOURCE_MAX } from './api-key.entity';
import { REPORTED_SECRET_MAX, REPORTED_URL_MAX } from './leaked-secrets';
import { ownerOf, ownerPermissions } from './key-owner';
import { checkCost, MAX_COST } from './usage-credits.types';
import {
  ApiKeyConnection,
  ApiKeysArgs,
  ApiKeyVerification,
  ApiKeyWithSecret,
  CreateApiKeyInput,
  UpdateApiKeyInput,
  VerificationCode,
} from './api-key.types';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => ApiKey, { description: 'One API key (never its secret).' })
  apiKey(
    @Arg('id', () => ID, { description: 'Id of the key (not the public key).' }) id: string,
    @Ctx() { services }: GraphQLContext,
  ): Promise<ApiKey> {
    return services.apiKeys.get(requireId(id, 'id'));
  }

  @Query(() => ApiKeyConnection, { description: "A page of a team's API keys, newest first." })
  async apiKeys(
    @Args() { teamId, ...filterAndPage }: ApiKeysArgs,
    @Ctx() { services, loaders }: GraphQLContext,
  ): Promise<ApiKeyConnection> {
    const page = await services.apiKeys.list(requireId(teamId, 'teamId'), filterAndPage);
    // the page brought its owners' permissions: the fields that need them read them from here
    for (const { member, permissions } of page.ownerPermissions)
      loaders.memberPermissions.prime(member, permissions);
    return page;
  }

  @Mutation(() => ApiKeyWithSecret, {
    description:
      'Create a key, owned by its creator. The secret is in this answer only: copy it now. Its API permissions must be ones the creator holds.',
  })
  createApiKey(
    @Arg('input', () => CreateApiKeyInput, { description: 'The new key.' })
    input: CreateApiKeyInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ApiKeyWithSecret> {
    return ctx.services.apiKeys.create(ctx.actor, input);
  }

  @Mutation(() => ApiKey, {
    description:
      'Change name, description, scopes, expiry or allowed addresses. New scopes may only name API permissions the caller holds.',
  })
  updateApiKey(
    @Arg('id', () => ID, { description: 'The key to change.' }) id: string,
    @Arg('input', () => UpdateApiKeyInput, { description: 'The changes.' })
    input: UpdateApiKeyInput,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<ApiKey> {
    return services.apiKeys.update(actor, requireId(id, 'id'), input);
  }

  @Mutation(() => ApiKeyWithSecret, {
    description:
      'Issue a new secret; the previous one stops working at once, everywhere. The new secret is shown only here.',
  })
  regenerateApiKeySecret(
    @Arg('id', () => ID, { description: 'The key.' }) id: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ApiKeyWithSecret> {
    return ctx.services.apiKeys.regenerate(ctx.actor, requireId(id, 'id'));
  }

  @Mutation(() => ApiKey, {
    description: 'Revoke a key for good; it is refused everywhere from the moment this returns.',
  })
  revokeApiKey(
    @Arg('id', () => ID, { description: 'The key.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<ApiKey> {
    return services.apiKeys.revoke(actor, requireId(id, 'id'));
  }

  @Mutation(() => ApiKey, {
    description:
      'Hand a key to another member of its team, who becomes answerable for it. The new owner must hold every API permission in its scopes.',
  })
  transferApiKey(
    @Arg('id', () => ID, { description: 'The key.' }) id: string,
    @Arg('toMembershipId', () => ID, {
      description: 'The membership of the new owner, in the same team.',
    })
    toMembershipId: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<ApiKey> {
    return services.apiKeys.transfer(
      actor,
      requireId(id, 'id'),
      requireId(toMembershipId, 'toMembershipId'),
    );
  }

  @Mutation(() => ApiKeyVerification, {
    description:
      'for gateways and platform services; needs no session; rate limited per client address',
  })
  async verifyApiCredentials(
    @Arg('key', { description: 'The public API key (empk_...).' }) key: string,
    @Arg('secret', { description: 'The API secret (emps_...).' }) secret: string,
    @Arg('requiredScopes', () => [String], {
      nullable: true,
      description: 'Scopes the key must hold for VALID.',
    })
    requiredScopes: string[] | null,
    @Arg('clientIp', () => String, {
      nullable: true,
      description: "The end client's address, checked against allowedIps.",
    })
    clientIp: string | null,
    @Arg('cost', () => Int, {
      nullable: true,
      defaultValue: 1,
      description: `Credits this request uses, 0 to ${MAX_COST} (0 checks the key without spending); 1 when omitted or null. Only keys with credits spend them.`,
    })
    cost: number | null,
    @Ctx() { actor, services, trace }: GraphQLContext,
  ): Promise<ApiKeyVerification> {
    if (clientIp != null && !isIpAddress(normalizeIp(clientIp)))
      throw badInput('clientIp is not an IP address', 'clientIp');
    const { code, apiKey, keyId, scopes, rateLimit, credits } = await services.verifier.verify({
      key,
      secret,
      via: 'verifyApiCredentials',
      caller: actor,
      requiredScopes: (requiredScopes ?? []).slice(0, 50),
      clientIp,
      cost: checkCost(cost ?? 1),
    });
    if (keyId) trace.checkedKey = { id: keyId, code, clientIp };
    return {
      valid: code === VerificationCode.VALID,
      code,
      apiKey,
      teamId: apiKey?.teamId ?? null,
      scopes,
      rateLimit,
      creditsRemaining: credits?.remaining ?? null,
    };
  }

  @Mutation(() => Boolean, {
    description:
      'Anyone who found a secret (emps_...) where it should not be can report it, without credentials: if it is the current secret of a key that is not revoked, the key is revoked at once, everywhere (revocationReason LEAKED). Always true: the answer tells nothing about the secret. Rate limited per address.',
  })
  reportLeakedSecret(
    @Arg('secret', { description: `The secret found (at most ${REPORTED_SECRET_MAX} characters).` })
    secret: string,
    @Arg('url', () => String, {
      nullable: true,
      description: `Where it was found, e.g. the address of a page or a commit (at most ${REPORTED_URL_MAX} characters; kept cut to ${LEAK_SOURCE_MAX}).`,
    })
    url: string | null,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.leakedSecrets.reportOne(actor, secret, url);
  }

  @FieldResolver(() => Team, { description: 'The team that owns the key.' })
  async team(@Root() key: ApiKey, @Ctx() { loaders }: GraphQLContext): Promise<Team> {
    return (await loaders.team.load(key.teamId)) ?? Promise.reject(notFound('Team'));
  }

  @FieldResolver(() => User, {
    nullable: true,
    description: 'Who created the key; null if that account is gone or it was made by the system.',
  })
  createdBy(@Root() key: ApiKey, @Ctx() { loaders }: GraphQLContext): Promise<User | null> | null {
    return key.createdById ? loaders.user.load(key.createdById) : null;
  }

  @FieldResolver(() => User, {
    nullable: true,
    description:
      'the member answerable for the key: its creator, or whom it was transferred to; null once they left the team',
  })
  owner(@Root() key: ApiKey, @Ctx() { loaders }: GraphQLContext): Promise<User | null> {
    return ownerOf(key, loaders);
  }

  @FieldResolver(() => [String], {
    description:
      'what the key can do right now: its API permissions cut to what its owner holds today, plus its application scopes',
  })
  async effectiveScopes(
    @Root() key: ApiKey,
    @Ctx() { loaders }: GraphQLContext,
  ): Promise<string[]> {
    return effectiveScopes(key.scopes, await ownerPermissions(key, loaders));
  }

  @FieldResolver(() => Boolean, {
    description: 'what the caller may do with this key, from the same rules the server enforces',
  })
  viewerCanUpdate(@Root() key: ApiKey, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return viewerCan('update', key, ctx);
  }

  @FieldResolver(() => Boolean, {
    description:
      'whether the caller may regenerate its secret, from the same rules the server enforces',
  })
  viewerCanRegenerate(@Root() key: ApiKey, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return viewerCan('regenerate', key, ctx);
  }

  @FieldResolver(() => Boolean, {
    description: 'whether the caller may revoke it, from the same rules the server enforces',
  })
  viewerCanRevoke(@Root() key: ApiKey, @Ctx() ctx: GraphQLContext): Promise<boolean> {
    return viewerCan('revoke', key, ctx);
  }
}

/** The key policy's answer for the caller (a revoked key can't be changed, only revoked again). */
async function viewerCan(
  action: KeyAction,
  key: ApiKey,
  { actor }: GraphQLContext,
): Promise<boolean> {
  const p = actor.principal;
  if (p.type !== 'USER' || (key.revokedAt && action !== 'revoke')) return false;
  return (
    keyActionRefusal(
      action,
      { userId: p.user.id, permissions: await actor.access.held(key.teamId) },
      key,
    ) === null
  );
}
