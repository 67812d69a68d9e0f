import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export enum ActorType {
  ANONYMOUS = 'ANONYMOUS',
  USER = 'USER',
  API_KEY = 'API_KEY',
  SYSTEM = 'SYSTEM',
}
registerEnumType(ActorType, {
  name: 'ActorType',
  description: 'Who made a request or caused an event.',
  valuesConfig: {
    ANONYMOUS: { description: 'No credentials were presented.' },
    USER: { description: 'A signed-in person (Bearer session token).' },
    API_KEY: { description: 'An application authenticated with an API key and secret.' },
    SYSTEM: { description: 'The service itself, e.g. at start-up.' },
  },
});

export enum AuditOutcome {
  SUCCESS = 'SUCCESS',
  DENIED = 'DENIED',
  FAILURE = 'FAILURE',
}
registerEnumType(AuditOutcome, {
  name: 'AuditOutcome',
  description: 'How an audited action ended.',
  valuesConfig: {
    SUCCESS: { description: 'It was done.' },
    DENIED: { description: 'Refused: missing permission, wrong credentials or a rate limit.' },
    FAILURE: { description: 'Allowed but failed, e.g. on bad input or a conflict.' },
  },
});

@ObjectType({ description: 'Who did it, as recorded when it happened.' })
export class AuditActor {
  @Field(() => ActorType, {
    description: 'A user, an API key, nobody (ANONYMOUS) or the service (SYSTEM).',
  })
  type!: ActorType;

  @Field(() => ID, { nullable: true, description: 'The user, when a user acted.' })
  userId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The API key, when an application acted.' })
  apiKeyId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'email of the user or the public key, as it was when the event happened',
  })
  label!: string | null;
}

@ObjectType({ description: 'One entry of the append-only, hash-chained audit log.' })
@Entity('audit_events')
export class AuditEvent {
  @Field(() => ID, { description: 'Stable identifier of the event (UUID).' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'The team it concerns; null for platform events such as a failed sign-in.',
  })
  @Column('uuid', { nullable: true })
  teamId!: string | null;

  /** position in its team's hash chain; newest-first pages and cursors use it */
  @Column('bigint')
  chainSeq!: string;

  @Field({ description: 'When it happened (UTC).' })
  @Column('timestamptz')
  occurredAt!: Date;

  @Field({
    description:
      'dotted name, e.g. apiKey.created, apiKey.secretRegenerated, apiKey.revoked, apiKey.used, member.added',
  })
  @Column('text')
  action!: string;

  @Field(() => AuditOutcome, { description: 'SUCCESS, DENIED or FAILURE.' })
  @Column('text')
  outcome!: AuditOutcome;

  @Column('text')
  actorType!: ActorType;

  @Column('uuid', { nullable: true })
  actorUserId!: string | null;

  @Column('uuid', { nullable: true })
  actorApiKeyId!: string | null;

  @Column('text', { nullable: true })
  actorLabel!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Kind of object acted on: ApiKey, Team, Membership, Role, PermissionGrant, User.',
  })
  @Column('text', { nullable: true })
  targetType!: string | null;

  @Field(() => ID, { nullable: true, description: 'Identifier of the object acted on.' })
  @Column('text', { nullable: true })
  targetId!: string | null;

  @Field(() => String, { nullable: true, description: 'Client address of the request.' })
  @Column('text', { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true, description: 'User-Agent header of the request.' })
  @Column('text', { nullable: true })
  userAgent!: string | null;

  /** the key involved, as actor or target (derived; indexed for per-key queries) */
  @Column('uuid', { nullable: true })
  apiKeyId!: string | null;

  @Field({
    description:
      'Identifier of the HTTP request, also in the service log and the X-Request-Id header.',
  })
  @Column('text')
  requestId!: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'never holds a secret, password or token',
  })
  @Column('jsonb', { nullable: true })
  metadata!: Record<string, unknown> | null;

  @Column('text', { nullable: true })
  prevHash!: string | null;

  @Column('text')
  hash!: string;

  @Field(() => AuditActor, { description: 'Who did it.' })
  get actor(): AuditActor {
    return {
      type: this.actorType,
      userId: this.actorUserId,
      apiKeyId: this.actorApiKeyId,
      label: this.actorLabel,
    };
  }
}
