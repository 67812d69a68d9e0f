import { Field, ID, ObjectType } from 'type-graphql';
import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

@ObjectType({ description: "An address of the team's that hears of events by signed HTTP POSTs." })
@Entity('webhook_endpoints')
export class WebhookEndpoint {
  @Field(() => ID, { description: 'Stable identifier of the endpoint.' })
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid')
  teamId!: string;

  @Field({ description: 'Where events are POSTed: an https:// URL.' })
  @Column('text')
  url!: string;

  @Field(() => String, { nullable: true, description: 'What the endpoint is for.' })
  @Column('text', { nullable: true })
  description!: string | null;

  @Field(() => [String], { description: 'event types it receives, from webhookEventTypes' })
  @Column('text', { array: true })
  events!: string[];

  @Field({
    description:
      'false: nothing is sent to it (turned off by a person, or by the service after days of failures).',
  })
  @Column('boolean', { default: true })
  enabled!: boolean;

  /** the signing secret, sealed (SecretBox) */
  @Column('text')
  secretBox!: string;

  /** the secret before the last rotation, which signs beside the new one until previousSecretUntil */
  @Column('text', { nullable: true })
  previousSecretBox!: string | null;

  @Column('timestamptz', { nullable: true })
  previousSecretUntil!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Since when every delivery failed (UTC); null while deliveries succeed.',
  })
  @Column('timestamptz', { nullable: true })
  failingSince!: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the service turned the endpoint off after days of failures (UTC).',
  })
  @Column('timestamptz', { nullable: true })
  disabledAt!: Date | null;

  @Column('uuid', { nullable: true })
  createdById!: string | null;

  @Field({ description: 'When the endpoint was added (UTC).' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt!: Date;
}

@ObjectType({
  description: 'A new endpoint, or one with a new secret: the only time the secret is shown.',
})
export class WebhookEndpointWithSecret {
  @Field(() => WebhookEndpoint, { description: 'The endpoint.' })
  endpoint!: WebhookEndpoint;

  @Field({ description: 'signing secret, whsec_ followed by base64; shown once' })
  secret!: string;
}
