import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('Session', { description: 'A signed-in session of the current user.' })
export class SessionInfo {
  @Field(() => ID, { description: 'Identifier of the session, for revokeSession; not its token.' })
  id!: string;

  @Field({ description: 'When it was opened by signing in (UTC).' })
  createdAt!: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When it was last used, to within five minutes (UTC).',
  })
  lastSeenAt!: Date | null;

  @Field({ description: 'When it ends by itself (UTC).' })
  expiresAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'The User-Agent of the client that signed in, as it said.',
  })
  userAgent!: string | null;

  @Field(() => String, { nullable: true, description: 'The address that signed in.' })
  ip!: string | null;

  @Field({ description: 'true for the session making this request' })
  current!: boolean;
}
