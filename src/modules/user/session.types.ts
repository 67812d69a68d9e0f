import { Field, ID, Int, ObjectType } from 'type-graphql';

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

@ObjectType({
  description:
    'A time the account was locked after failed sign-ins (someone may be guessing its password).',
})
export class AccountLockout {
  @Field({ description: 'When the lockout began (UTC).' })
  at!: Date;

  @Field(() => String, {
    nullable: true,
    description:
      'The address the failed sign-ins came from (the last one, when they came from many).',
  })
  ip!: string | null;

  @Field(() => Int, { description: 'How many sign-ins failed within the window.' })
  failures!: number;

  @Field(() => Int, { description: 'The window the failures were counted in, in seconds.' })
  windowSeconds!: number;

  @Field({
    description:
      'true: sign-ins were refused from every address (failures came from many); false: only from ip.',
  })
  everyAddress!: boolean;
}
