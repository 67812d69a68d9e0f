import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { PageInfo } from '../api-key/api-key.types';

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'Where one attempt to deliver an event stands.',
  valuesConfig: {
    PENDING: { description: 'Not sent yet: due at nextAttemptAt.' },
    SUCCEEDED: { description: 'The endpoint answered 2xx.' },
    FAILED: {
      description: 'The endpoint answered otherwise, or could not be reached; see nextAttemptAt.',
    },
  },
});

@ObjectType({ description: 'One attempt to deliver one event to one endpoint.' })
@Entity('webhook_deliveries')
export class WebhookDelivery {
  @Field(() => ID, { description: 'Stable identifier of the attempt.' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Field(() => ID, {
    description: 'The event: the webhook-id header, the same at every attempt.',
  })
  @Column('uuid')
  eventId!: string;

  @Column('uuid')
  endpointId!: string;

  @Field({ description: 'The event type, e.g. apiKey.revoked.' })
  @Column('text')
  eventType!: string;

  @Field(() => Int, { description: '1 for the first attempt, then 2, 3…' })
  @Column('integer')
  attempt!: number;

  @Field(() => WebhookDeliveryStatus, { description: 'Where the attempt stands.' })
  @Column('text')
  status!: WebhookDeliveryStatus;

  /** when a pending attempt is due */
  @Column('timestamptz')
  dueAt!: Date;

  /** an instance is sending it until then: no other takes it */
  @Column('timestamptz', { nullable: true })
  claimedUntil!: Date | null;

  @Column('timestamptz', { nullable: true })
  sentAt!: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: "The endpoint's HTTP status; null if none came.",
  })
  @Column('integer', { nullable: true })
  responseStatus!: number | null;

  @Field(() => Int, { nullable: true, description: 'How long the attempt took, in milliseconds.' })
  @Column('integer', { nullable: true })
  durationMs!: number | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why a failed attempt failed, when the endpoint gave no answer (timed out, refused…).',
  })
  @Column('text', { nullable: true })
  error!: string | null;

  /** for a failed attempt: when the next one is due; null when none follows */
  @Column('timestamptz', { nullable: true })
  nextAttemptAfterFailure!: Date | null;

  @Field({ description: 'When the attempt was scheduled (UTC).' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description:
      'Pending: when it is due; failed: when the next attempt is due (null: no more attempts); succeeded: null.',
  })
  get nextAttemptAt(): Date | null {
    if (this.status === WebhookDeliveryStatus.PENDING) return this.dueAt;
    if (this.status === WebhookDeliveryStatus.FAILED) return this.nextAttemptAfterFailure;
    return null;
  }
}

@ObjectType({ description: 'One attempt of a page, with its cursor.' })
export class WebhookDeliveryEdge {
  @Field({ description: 'Opaque position of this attempt in the list.' })
  cursor!: string;

  @Field(() => WebhookDelivery, { description: 'The attempt.' })
  node!: WebhookDelivery;
}

@ObjectType({ description: "A page of an endpoint's delivery attempts, newest first." })
export class WebhookDeliveryConnection {
  @Field(() => [WebhookDeliveryEdge], { description: 'The attempts of this page.' })
  edges!: WebhookDeliveryEdge[];

  @Field(() => PageInfo, { description: 'How to get the next page.' })
  pageInfo!: PageInfo;
}
