import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { PageInfo } from '../api-key/api-key.types';
import { AuditEvent, AuditOutcome } from './audit-event.entity';

@ObjectType({ description: 'One event of a page, with its cursor.' })
export class AuditEventEdge {
  @Field({ description: 'Opaque position of this event in the log.' })
  cursor!: string;

  @Field(() => AuditEvent, { description: 'The event.' })
  node!: AuditEvent;
}

@ObjectType({ description: "A page of a team's audit log, newest first." })
export class AuditEventConnection {
  @Field(() => [AuditEventEdge], { description: 'The events of this page.' })
  edges!: AuditEventEdge[];

  @Field(() => PageInfo, { description: 'How to get the next (older) page.' })
  pageInfo!: PageInfo;
}

@InputType({ description: 'Narrows the audit log; all given conditions must hold.' })
export class AuditEventFilter {
  @Field(() => [String], {
    nullable: true,
    description: 'Only these actions, e.g. ["apiKey.revoked", "apiKey.secretRegenerated"].',
  })
  actions?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'Only events caused by this user.' })
  actorUserId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Only events of this API key: its creation, changes and every use of it.',
  })
  apiKeyId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Only events about this object.' })
  targetId?: string | null;

  @Field(() => AuditOutcome, {
    nullable: true,
    description: 'Only events with this outcome, e.g. DENIED to see refusals.',
  })
  outcome?: AuditOutcome | null;

  @Field(() => Date, { nullable: true, description: 'Events at or after this time (UTC).' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Events before this time (UTC).' })
  to?: Date | null;
}

@ObjectType({ description: "The result of walking a team's audit hash chain." })
export class AuditChainVerification {
  @Field({
    description:
      'true when every event links to the one before it and its hash matches its content.',
  })
  valid!: boolean;

  @Field(() => Int, { description: 'How many events were checked.' })
  checkedEvents!: number;

  @Field(() => ID, {
    nullable: true,
    description:
      'The first event found broken; null when the chain is whole or the break is at its end.',
  })
  firstBrokenEventId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Position of the first break in the chain (1 = oldest event).',
  })
  firstBrokenPosition!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'What is wrong there: content edited, event missing or reordered, or events missing at the end.',
  })
  reason!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Position of the last archived event (npm run audit:archive): the walk started after it; null when nothing was archived.',
  })
  archivedThroughPosition!: string | null;
}

@ObjectType({
  description: "The newest link of a team's audit chain, to record elsewhere and compare later.",
})
export class AuditChainHead {
  @Field(() => ID, { description: 'The team.' })
  teamId!: string;

  @Field({
    description: "position of the newest event in the team's chain (a 64-bit integer, as a string)",
  })
  seq!: string;

  @Field({ description: 'its hash, hex' })
  hash!: string;

  @Field({ description: 'When that event happened (UTC).' })
  occurredAt!: Date;
}

@ObjectType({ description: 'How often a key was presented on one day (UTC), by outcome.' })
export class ApiKeyUsageDay {
  @Field({ description: 'The day, YYYY-MM-DD (UTC).' })
  day!: string;

  @Field(() => AuditOutcome, { description: 'SUCCESS for accepted uses; DENIED for refused ones.' })
  outcome!: AuditOutcome;

  @Field(() => Int, { description: 'Number of uses.' })
  count!: number;
}

@ObjectType({ description: 'An action the audit log records, with its meaning.' })
export class AuditActionInfo {
  @Field({ description: 'e.g. apiKey.revoked, as AuditEvent.action holds it' })
  name!: string;

  @Field({ description: 'A few plain words for screens, e.g. "Revoked an API key".' })
  label!: string;

  @Field({ description: 'What it means, for auditors.' })
  description!: string;
}
