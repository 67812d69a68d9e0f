import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { requireId } from '../../validation';
import { teamChain } from './chain-walk';
import { ApiKey } from '../api-key/api-key.entity';
import { AUDIT_ACTIONS } from './audit-actions';
import {
  AuditActionInfo,
  AuditChainHead,
  AuditChainVerification,
  AuditEventConnection,
  AuditEventFilter,
  ApiKeyUsageDay,
} from './audit.types';

@Resolver()
export class AuditResolver {
  @Query(() => [AuditActionInfo], {
    description:
      'Every action the audit log records, with a plain label and its meaning. Older logs may hold names no longer in it.',
  })
  auditActions(): AuditActionInfo[] {
    return Object.entries(AUDIT_ACTIONS).map(([name, { label, description }]) => ({
      name,
      label,
      description,
    }));
  }

  @Query(() => AuditEventConnection, {
    description: "A team's audit log, newest first; `first` is capped at 500.",
  })
  auditEvents(
    @Arg('teamId', () => ID, { description: 'The team.' }) teamId: string,
    @Arg('filter', () => AuditEventFilter, {
      nullable: true,
      description: 'Conditions that every event returned meets.',
    })
    filter: AuditEventFilter | null,
    @Arg('first', () => Int, {
      nullable: true,
      defaultValue: 50,
      description: 'Page size, 0 to 500 (larger values give 500).',
    })
    first: number,
    @Arg('after', () => String, { nullable: true, description: 'endCursor of the previous page.' })
    after: string | null,
    @Ctx() { services }: GraphQLContext,
  ): Promise<AuditEventConnection> {
    return services.auditLog.page(requireId(teamId, 'teamId'), filter, first, after);
  }

  @Query(() => AuditChainVerification, {
    description:
      "Walks the team's hash-chained log from its first event (or its archived head) and reports the first break, if any. " +
      'One per document; while a check of the team runs on another instance, RATE_LIMITED.',
  })
  verifyAuditChain(
    @Arg('teamId', () => ID, { description: 'The team.' }) teamId: string,
    @Ctx() { services }: GraphQLContext,
  ): Promise<AuditChainVerification> {
    return services.chains.verify(teamChain(requireId(teamId, 'teamId')));
  }

  @Query(() => AuditChainHead, { description: 'needs audit:read' })
  auditChainHead(
    @Arg('teamId', () => ID, { description: 'The team.' }) teamId: string,
    @Ctx() { services }: GraphQLContext,
  ): Promise<AuditChainHead> {
    return services.chains.head(requireId(teamId, 'teamId'));
  }
}

@Resolver(() => ApiKey)
export class ApiKeyUsageResolver {
  @FieldResolver(() => [ApiKeyUsageDay], {
    description: 'Uses of the key per UTC day and outcome, from the audit log (at most 366 days).',
  })
  usage(
    @Root() key: ApiKey,
    @Arg('from', () => Date, { description: 'Start of the period (UTC), included.' }) from: Date,
    @Arg('to', () => Date, { description: 'End of the period (UTC), excluded.' }) to: Date,
    @Ctx() { services }: GraphQLContext,
  ): Promise<ApiKeyUsageDay[]> {
    return services.auditLog.usage(key.id, from, to);
  }
}
