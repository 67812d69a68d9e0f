import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../../context/context';
import { ActorType } from '../audit/audit-event.entity';
import { AuthPayload, Viewer } from './auth.types';
import { User } from './user.entity';

@Resolver()
export class AuthResolver {
  @Query(() => Viewer, { description: 'who is calling; ANONYMOUS without credentials' })
  viewer(@Ctx() { actor }: GraphQLContext): Viewer {
    const p = actor.principal;
    return {
      type: p.type as ActorType,
      user: p.type === 'USER' ? p.user : null,
      apiKey: p.type === 'API_KEY' ? p.apiKey : null,
    };
  }

  @Query(() => User, { description: 'The signed-in user. UNAUTHENTICATED without a session.' })
  me(@Ctx() { actor }: GraphQLContext): User {
    if (actor.principal.type !== 'USER') throw new Error('unreachable: guarded by isUser');
    return actor.principal.user;
  }

  @Mutation(() => AuthPayload, { description: 'Create an account and sign in. When ALLOW_SIGNUP is false, only an address with an open invitation may.' })
  signUp(
    @Arg('email', { description: 'Address to sign in with.' }) email: string,
    @Arg('password', { description: '12 to 256 characters.' }) password: string,
    @Arg('name', { description: 'Display name, 1 to 100 characters.' }) name: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<AuthPayload> {
    return services.users.signUp(actor, { email, password, name });
  }

  @Mutation(() => AuthPayload, { description: 'Sign in. A wrong password and an unknown email give the same UNAUTHENTICATED error.' })
  logIn(
    @Arg('email', { description: 'Address of the account.' }) email: string,
    @Arg('password', { description: 'Password of the account.' }) password: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuthPayload> {
    ctx.logInRuns = (ctx.logInRuns ?? 0) + 1;
    return ctx.services.users.logIn(ctx.actor, { email, password });
  }

  @Mutation(() => Boolean, { description: 'End the current session: its token stops working at once.' })
  logOut(@Ctx() { actor, services }: GraphQLContext): Promise<boolean> {
    return services.users.logOut(actor);
  }
}
