import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../src/auth/password';
import { User } from '../../src/modules/user/user.entity';
import {
  AcceptInvitationDocument,
  CreateTeamDocument,
  GrantPermissionDocument,
  InviteTeamMemberDocument,
  LogInDocument,
  SignUpDocument,
} from '../clients/generated/graphql';
import type { TestServer } from './server';

export const PASSWORD = 'correct horse battery staple';

export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}.${randomBytes(5).toString('hex')}@example.com`;
}

export interface SignedInUser {
  id: string;
  email: string;
  token: string;
  headers: Record<string, string>;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

export async function signUp(t: TestServer, prefix = 'user'): Promise<SignedInUser> {
  const email = uniqueEmail(prefix);
  const res = await t.gql(SignUpDocument, { email, password: PASSWORD, name: prefix });
  if (!res.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
  const { token, user } = res.data.signUp;
  return { id: user.id, email, token, headers: bearer(token) };
}

/** A platform admin, made directly in the database (the bootstrap path is tested on its own). */
export async function platformAdmin(t: TestServer): Promise<SignedInUser> {
  const email = uniqueEmail('platform-admin');
  await t.dataSource.getRepository(User).save({
    email,
    name: 'Platform admin',
    passwordHash: await hashPassword(PASSWORD),
    isPlatformAdmin: true,
  });
  return logIn(t, email);
}

export async function logIn(
  t: TestServer,
  email: string,
  password = PASSWORD,
): Promise<SignedInUser> {
  const res = await t.gql(LogInDocument, { email, password });
  if (!res.data?.logIn) throw new Error(`logIn failed: ${JSON.stringify(res.errors)}`);
  return {
    id: res.data.logIn.user.id,
    email,
    token: res.data.logIn.token,
    headers: bearer(res.data.logIn.token),
  };
}

export interface TeamFixture {
  id: string;
  roles: Record<string, string>;
}

export async function createTeam(
  t: TestServer,
  owner: SignedInUser,
  name = 'Team',
): Promise<TeamFixture> {
  const res = await t.gql(CreateTeamDocument, { name }, owner.headers);
  if (!res.data?.createTeam) throw new Error(`createTeam failed: ${JSON.stringify(res.errors)}`);
  const roles = Object.fromEntries(res.data.createTeam.roles.map((r) => [r.name, r.id]));
  return { id: res.data.createTeam.id, roles };
}

/** `by` invites the address into the team with the role: the invitation's id. */
export async function invite(
  t: TestServer,
  by: SignedInUser,
  teamId: string,
  email: string,
  roleId: string,
): Promise<string> {
  const res = await t.gql(InviteTeamMemberDocument, { teamId, email, roleId }, by.headers);
  if (!res.data?.inviteTeamMember)
    throw new Error(`inviteTeamMember failed: ${JSON.stringify(res.errors)}`);
  return res.data.inviteTeamMember.id;
}

/** The invitee accepts: the new membership's id. */
export async function accept(
  t: TestServer,
  invitee: SignedInUser,
  invitationId: string,
): Promise<string> {
  const res = await t.gql(AcceptInvitationDocument, { id: invitationId }, invitee.headers);
  if (!res.data?.acceptInvitation)
    throw new Error(`acceptInvitation failed: ${JSON.stringify(res.errors)}`);
  return res.data.acceptInvitation.id;
}

/**
 * A member, with their consent: `by` invites the address, and the person (signed in with
 * PASSWORD) accepts. The membership's id.
 */
export async function addMember(
  t: TestServer,
  by: SignedInUser,
  teamId: string,
  email: string,
  roleId: string,
): Promise<string> {
  const invitationId = await invite(t, by, teamId, email, roleId);
  return accept(t, await logIn(t, email), invitationId);
}

export async function grant(
  t: TestServer,
  by: SignedInUser,
  membershipId: string,
  permission: string,
): Promise<string> {
  const res = await t.gql(GrantPermissionDocument, { membershipId, permission }, by.headers);
  if (!res.data?.grantPermission)
    throw new Error(`grantPermission failed: ${JSON.stringify(res.errors)}`);
  return res.data.grantPermission.id;
}
