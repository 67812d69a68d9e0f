import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { RateLimit, RateLimitInput } from '../api-key/rate-limit.types';

@ObjectType({
  description:
    'An application scope of the team, such as orders:read, with what it means in plain words.',
})
export class ApplicationScope {
  @Field({ description: 'The scope as keys hold it, resource:action (orders:read).' })
  name!: string;

  @Field({ description: 'What a key holding it may do, in plain words, for the dashboard.' })
  description!: string;
}

@InputType({ description: 'An application scope of the team and what it means.' })
export class ApplicationScopeInput {
  @Field({ description: 'resource:action, e.g. orders:read; not a permission of this API.' })
  name!: string;

  @Field({ description: 'What a key holding it may do, in plain words (1 to 200 characters).' })
  description!: string;
}

@ObjectType({
  description:
    'Rules every key of the team must follow; checked when a key is created or changed, never when its secret is regenerated or it is revoked.',
})
@Entity('api_key_policies')
export class ApiKeyPolicy {
  @PrimaryColumn('uuid')
  teamId!: string;

  @Field(() => Int, {
    nullable: true,
    description: 'Keys expire at most this many days after they are created; null: no limit.',
  })
  @Column('int', { nullable: true })
  maxLifetimeDays!: number | null;

  @Field({ description: 'Every key must have an expiry.' })
  @Column('boolean', { default: false })
  requireExpiry!: boolean;

  @Field({ description: 'Every key must name the addresses it may be used from (allowedIps).' })
  @Column('boolean', { default: false })
  requireAllowedIps!: boolean;

  @Field(() => [String], {
    nullable: true,
    description: 'application scopes (such as orders:read) keys may hold; null allows any',
  })
  @Column('text', { array: true, nullable: true })
  allowedApplicationScopes!: string[] | null;

  @Field(() => RateLimit, { nullable: true, description: 'given to new keys that set none' })
  @Column('jsonb', { nullable: true })
  defaultRateLimit!: RateLimit | null;

  @Field(() => [ApplicationScope], {
    description: "the team's catalogue of application scopes, with descriptions",
  })
  @Column('jsonb', { default: () => `'[]'` })
  applicationScopes!: ApplicationScope[];

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

/** The rules of a team that never set any: none. */
export function noRules(teamId: string): ApiKeyPolicy {
  return Object.assign(new ApiKeyPolicy(), {
    teamId,
    maxLifetimeDays: null,
    requireExpiry: false,
    requireAllowedIps: false,
    allowedApplicationScopes: null,
    defaultRateLimit: null,
    applicationScopes: [],
  });
}

@InputType({
  description:
    "The team's key rules. A field left out keeps its current value; null clears it (no such rule).",
})
export class ApiKeyPolicyInput {
  @Field(() => Int, { nullable: true, description: '1 to 3650 days; null: no limit.' })
  maxLifetimeDays?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Every key must have an expiry.' })
  requireExpiry?: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Every key must name the addresses it may be used from (allowedIps).',
  })
  requireAllowedIps?: boolean | null;

  @Field(() => [String], {
    nullable: true,
    description: 'application scopes keys may hold (at most 200); null allows any',
  })
  allowedApplicationScopes?: string[] | null;

  @Field(() => RateLimitInput, {
    nullable: true,
    description: 'given to new keys that set none; null: new keys get no limit unless they set one',
  })
  defaultRateLimit?: RateLimitInput | null;

  @Field(() => [ApplicationScopeInput], {
    nullable: true,
    description: "the team's catalogue of application scopes (at most 200), replacing the old one",
  })
  applicationScopes?: ApplicationScopeInput[] | null;
}
