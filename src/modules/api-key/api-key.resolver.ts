import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../../context/context';
import { badInput, notFound } from '../../errors';
import { normalizeIp } from '../../security/ip-allowlist';
import { isIpAddress, requireId } from '../../validation';
import { Team } from '../team/team.entity';
import { User } from '../user/user.entity';
import { ApiKey, ApiKeyStatus } from './api-key.entity';
import {
  ApiKeyConnection,
  ApiKeyVerification,
  ApiKeyWithSecret,
  CreateApiKeyInput,
  UpdateApiKeyInput,
  VerificationCode,
} from './api-key.types';

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => ApiKey, { description: 'One API key (never its secret). Needs apiKeys:read in its team.' })
  apiKey(@Arg('id', () => ID, { description: 'Id of the key (not the public key).' }) id: string, @Ctx() { services }: GraphQLContext): Promise<ApiKey> {
    return services.apiKeys.get(requireId(id, 'id'));
  }

  @Query(() => ApiKeyConnection, { description: "A page of a team's API keys, newest first. Needs apiKeys:read." })
  apiKeys(
    @Arg('teamId', () => ID, { description: 'The team.' }) teamId: string,
    @Arg('status', () => ApiKeyStatus, { nullable: true, description: 'Only keys with this status.' }) status: ApiKeyStatus | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50, description: 'Page size, 0 to 100 (larger values give 100).' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' }) after: string | null,
    @Ctx() { services }: GraphQLContext,
  ): Promise<ApiKeyConnection> {
    return services.apiKeys.list(requireId(teamId, 'teamId'), { status, first, after });
  }

  @Mutation(() => ApiKeyWithSecret, {
    description: 'Create a key. The secret is in this answer only: copy it now. Needs apiKeys:create.',
  })
  createApiKey(
    @Arg('input', () => CreateApiKeyInput, { description: 'The new key.' }) input: CreateApiKeyInput,
    @Ctx() ctx: GraphQLContext,
  ): Promise<ApiKeyWithSecret> {
    return ctx.services.apiKeys.create(ctx.actor, input);
  }

  @Mutation(() => ApiKey, { description: 'Change name, description, scopes, expiry or allowed addresses. Needs apiKeys:manage, or apiKeys:create for your own keys.' })
  updateApiKey(
    @Arg('id', () => ID, { description: 'The key to change.' }) id: string,
    @Arg('input', () => UpdateApiKeyInput, { description: 'The changes.' }) input: UpdateApiKeyInput,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<ApiKey> {
    return services.apiKeys.update(actor, requireId(id, 'id'), input);
  }

  @Mutation(() => ApiKeyWithSecret, {
    description: 'Issue a new secret; the previous one stops working at once, everywhere. The new secret is shown only here.',
  })
  regenerateApiKeySecret(@Arg('id', () => ID, { description: 'The key.' }) id: string, @Ctx() ctx: GraphQLContext): Promise<ApiKeyWithSecret> {
    return ctx.services.apiKeys.regenerate(ctx.actor, requireId(id, 'id'));
  }

  @Mutation(() => ApiKey, { description: 'Revoke a key for good; it is refused everywhere from the moment this returns.' })
  revokeApiKey(@Arg('id', () => ID, { description: 'The key.' }) id: string, @Ctx() { actor, services }: GraphQLContext): Promise<ApiKey> {
    return services.apiKeys.revoke(actor, requireId(id, 'id'));
  }

  @Mutation(() => ApiKeyVerification, { description: 'for gateways and platform services; needs no session; rate limited per client address' })
  async verifyApiCredentials(
    @Arg('key', { description: 'The public API key (empk_...).' }) key: string,
    @Arg('secret', { description: 'The API secret (emps_...).' }) secret: string,
    @Arg('requiredScopes', () => [String], { nullable: true, description: 'Scopes the key must hold for VALID.' }) requiredScopes: string[] | null,
    @Arg('clientIp', () => String, { nullable: true, description: "The end client's address, checked against allowedIps." }) clientIp: string | null,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<ApiKeyVerification> {
    if (clientIp != null && !isIpAddress(normalizeIp(clientIp))) throw badInput('clientIp is not an IP address', 'clientIp');
    const { code, apiKey } = await services.verifier.verify({
      key,
      secret,
      requiredScopes: (requiredScopes ?? []).slice(0, 50),
      clientIp,
      callerIp: actor.ip,
      via: 'verifyApiCredentials',
      userAgent: actor.userAgent,
      requestId: actor.requestId,
    });
    return {
      valid: code === VerificationCode.VALID,
      code,
      apiKey,
      teamId: apiKey?.teamId ?? null,
      scopes: apiKey?.scopes ?? [],
    };
  }

  @FieldResolver(() => Team, { description: 'The team that owns the key.' })
  async team(@Root() key: ApiKey, @Ctx() { loaders }: GraphQLContext): Promise<Team> {
    return (await loaders.team.load(key.teamId)) ?? Promise.reject(notFound('Team'));
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who created the key; null if that account is gone or it was made by the system.' })
  createdBy(@Root() key: ApiKey, @Ctx() { loaders }: GraphQLContext): Promise<User | null> | null {
    return key.createdById ? loaders.user.load(key.createdById) : null;
  }
}
