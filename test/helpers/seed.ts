import type { CreateApiKeyInput } from '../clients/generated/graphql';
import { createKey, type CreatedKey } from './api-keys';
import {
  addMember,
  createTeam,
  grant,
  signUp,
  type SignedInUser,
  type TeamFixture,
} from './factories';
import { graphqlClient, type Gql } from './graphql';
import { uniqueLoopback } from './http';
import { startTestServer, type TestServer, type TestServerOptions } from './server';

/**
 * What a test file needs before its tests run, said in one line and built in that order:
 *
 *   let t: TestServer;
 *   let owner: SignedInUser;
 *   let team: TeamFixture;
 *   beforeAll(async () => ({ t, owner, team } = await seed().owner('lifecycle-owner').team('Acme')));
 *   afterAll(() => t.close());
 *
 * `seed(env, options)` starts the server (as startTestServer); each step adds one named thing to
 * the result, and awaiting the builder runs the steps. A step that needs another (a team needs its
 * owner) says so in its type: `.team()` before `.owner()` does not compile.
 */
export function seed(
  env: Record<string, string> = {},
  options: TestServerOptions = {},
): Seed<{ t: TestServer }> {
  return new Seed<{ t: TestServer }>(
    [async () => ({ t: await startTestServer(env, options) })],
    true,
  );
}

/** The same steps on a server already running (a test's own team): `await seedOn(t).owner().team('Mine')`. */
export function seedOn(t: TestServer): Seed<{ t: TestServer }> {
  return new Seed<{ t: TestServer }>([async () => ({ t })], false);
}

/** A member of the seeded team: the person, signed in, and their membership. */
export interface SeededMember extends SignedInUser {
  membershipId: string;
  /** the ids of the grants asked for, in their order */
  grantIds: string[];
}

type Step = (made: never) => Promise<object>;

export class Seed<Made extends { t: TestServer }> implements PromiseLike<Made> {
  /** `ownsServer`: the seed started the server, and closes it when a step fails */
  constructor(
    private readonly steps: Step[],
    private readonly ownsServer: boolean,
  ) {}

  /** A signed-up user who will own the team: `owner`. */
  owner(prefix = 'owner'): Seed<Made & { owner: SignedInUser }> {
    return this.add(async ({ t }) => ({ owner: await signUp(t, prefix) }));
  }

  /** Another signed-up user, in no team: `[name]`; the e-mail starts with `prefix`. */
  user<Name extends string>(
    name: Name,
    prefix: string = name,
  ): Seed<Made & Record<Name, SignedInUser>> {
    return this.add(
      async ({ t }) => ({ [name]: await signUp(t, prefix) }) as Record<Name, SignedInUser>,
    );
  }

  /** The owner's team, with its built-in roles: `team`. */
  team<M extends Made & { owner: SignedInUser }>(
    this: Seed<M>,
    name = 'Team',
  ): Seed<M & { team: TeamFixture }> {
    return this.add(async ({ t, owner }) => ({ team: await createTeam(t, owner, name) }));
  }

  /**
   * A user who accepted the owner's invitation into the team with `role` (a role's name in the
   * team, e.g. 'Member', or a role's id), plus `grants`: `[name]`.
   */
  member<M extends Made & { owner: SignedInUser; team: TeamFixture }, Name extends string>(
    this: Seed<M>,
    name: Name,
    role: string,
    { prefix = name, grants = [] as string[] } = {},
  ): Seed<M & Record<Name, SeededMember>> {
    return this.add(async ({ t, owner, team }) => {
      const user = await signUp(t, prefix);
      const membershipId = await addMember(t, owner, team.id, user.email, roleId(team, role));
      const grantIds: string[] = [];
      for (const permission of grants)
        grantIds.push(await grant(t, owner, membershipId, permission));
      return { [name]: { ...user, membershipId, grantIds } } as Record<Name, SeededMember>;
    });
  }

  /** A key of the team, made by the owner (name 'app' unless `input` names it): `[name]`. */
  key<M extends Made & { owner: SignedInUser; team: TeamFixture }, Name extends string>(
    this: Seed<M>,
    name: Name,
    input: Partial<CreateApiKeyInput> = {},
  ): Seed<M & Record<Name, CreatedKey>> {
    return this.add(
      async ({ t, owner, team }) =>
        ({ [name]: await createKey(t, owner, team.id, input) }) as Record<Name, CreatedKey>,
    );
  }

  /**
   * A loopback address of the file's own (`ip`) and a client sending from it (`gql`): rate-limit
   * buckets and audit rows the file shares with no other.
   */
  ownAddress(): Seed<Made & { ip: string; gql: Gql }> {
    return this.add(async ({ t }) => {
      const ip = uniqueLoopback();
      return { ip, gql: graphqlClient(t.url, { from: ip }) };
    });
  }

  /** Runs the steps in order; on a failure, a server the seed started is closed. */
  then<A = Made, B = never>(
    onDone?: ((made: Made) => A | PromiseLike<A>) | null,
    onFailed?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): PromiseLike<A | B> {
    return this.run().then(onDone, onFailed);
  }

  private add<Added extends object>(step: (made: Made) => Promise<Added>): Seed<Made & Added> {
    return new Seed<Made & Added>([...this.steps, step], this.ownsServer);
  }

  private async run(): Promise<Made> {
    let made = {} as Made;
    try {
      for (const step of this.steps) made = { ...made, ...(await step(made as never)) };
      return made;
    } catch (error) {
      if (this.ownsServer) await made.t?.close().catch(() => undefined);
      throw error;
    }
  }
}

function roleId(team: TeamFixture, role: string): string {
  return team.roles[role] ?? role;
}
