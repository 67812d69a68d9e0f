import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { personOf } from '../../actor';
import type { GraphQLContext } from '../graphql-context';
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
    return personOf(actor).user;
  }

  @Query(() => Boolean, { description: 'Whether signUp is open to anyone; answered to anyone.' })
  signUpAllowed(@Ctx() { services }: GraphQLContext): boolean {
    return services.signUpPolicy.open;
  }

  @Mutation(() => AuthPayload, {
    description:
      'Create an account and sign in. When ALLOW_SIGNUP is false, only an address with an open invitation may.',
  })
  signUp(
    @Arg('email', { description: 'Address to sign in with.' }) email: string,
    @Arg('password', { description: '12 to 256 characters.' }) password: string,
    @Arg('name', { description: 'Display name, 1 to 100 characters.' }) name: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<AuthPayload> {
    return services.users.signUp(actor, { email, password, name });
  }

  @Mutation(() => Boolean, {
    description:
      'Confirm an email address with the token of the link emailed to it (one use, within 24 hours). Needs no session.',
  })
  verifyEmail(
    @Arg('token', { description: 'The token of the link, as it arrived.' }) token: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.verification.verify(actor, token);
  }

  @Mutation(() => Boolean, {
    description:
      'Email the signed-in person a new link to confirm their address (at most once a minute): true once sent or if it is already confirmed; false when this service sends no email.',
  })
  sendEmailVerification(@Ctx() { actor, services }: GraphQLContext): Promise<boolean> {
    return services.verification.resend(actor);
  }

  @Mutation(() => AuthPayload, {
    description:
      'Sign in. A wrong password and an unknown email give the same UNAUTHENTICATED error.',
  })
  logIn(
    @Arg('email', { description: 'Address of the account.' }) email: string,
    @Arg('password', { description: 'Password of the account.' }) password: string,
    @Ctx() ctx: GraphQLContext,
  ): Promise<AuthPayload> {
    return ctx.services.users.logIn(ctx.actor, { email, password });
  }

  @Mutation(() => Boolean, {
    description: 'End the current session: its token stops working at once.',
  })
  logOut(@Ctx() { actor, services }: GraphQLContext): Promise<boolean> {
    return services.users.logOut(actor);
  }

  @Mutation(() => Boolean, {
    description:
      'Set a new password; every other session of the user ends. A wrong current password counts as a failed sign-in.',
  })
  changePassword(
    @Arg('currentPassword', { description: 'The password the user signs in with now.' })
    currentPassword: string,
    @Arg('newPassword', { description: '12 to 256 characters.' }) newPassword: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<boolean> {
    return services.users.changePassword(actor, currentPassword, newPassword);
  }

  @Mutation(() => User, { description: "Change the signed-in user's display name." })
  updateProfile(
    @Arg('name', { description: 'Display name, 1 to 100 characters.' }) name: string,
    @Ctx() { actor, services }: GraphQLContext,
  ): Promise<User> {
    return services.users.updateProfile(actor, name);
  }
}
