import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../graphql-context';
import { MAX_LISTED_LOCKOUTS, LOCKOUT_DAYS } from './account-lockouts';
import { AccountLockout, SessionInfo } from './session.types';

/** A person's own sessions and sign-in lockouts: the services act on the caller's rows only. */
@Resolver()
export class SessionResolver {
  @Query(() => [SessionInfo], {
    description:
      "The signed-in user's live sessions: the current one first, then the newest (at most 100 in all).",
  })
  mySessions(@Ctx() { actor, services }: GraphQLContext): Promise<SessionInfo[]> {
    return services.sessions.mine(actor);
  }

  @Query(() => [AccountLockout], {
    description: `Times the signed-in user's account was locked after failed sign-ins, in the last ${LOCKOUT_DAYS} days, newest first (at most ${MAX_LISTED_LOCKOUTS}).`,
  })
  myLockouts(@Ctx() { actor, services }: GraphQLContext): Promise<AccountLockout[]> {
    return services.lockouts.mine(actor);
  }

  @Mutation(() => Boolean, {
    description:
      'End one of your sessions: its token stops working at once. Any other id is NOT_FOUND.',
  })
  revokeSession(
    @Arg('id', () => ID, { description: 'A session of yours, from mySessions.' }) id: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.sessions.revoke(actor, id);
  }

  @Mutation(() => Boolean, { description: 'End every session of the user, this one included.' })
  logOutEverywhere(@Ctx() { actor, services }: GraphQLContext): Promise<boolean> {
    return services.sessions.endAll(actor);
  }
}
