import { signUp } from '../helpers/factories';
import { codeOf } from '../helpers/graphql';
import { startTestServer, type TestServer } from '../helpers/server';

/** A person's own account: their name, and whether sign-up is open. */

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t?.close());

const UPDATE = `mutation($n: String!) { updateProfile(name: $n) { id name } }`;

describe('updateProfile', () => {
  it('changes the display name, trimmed, and audits the change', async () => {
    const user = await signUp(t, 'renamer');
    const res = await t.gql(UPDATE, { n: '  Ada Lovelace ' }, user.headers);
    expect(res.data).toEqual({ updateProfile: { id: user.id, name: 'Ada Lovelace' } });
    expect((await t.gql(`{ me { name } }`, {}, user.headers)).data).toEqual({
      me: { name: 'Ada Lovelace' },
    });
    const [row] = await t.dataSource.query(
      `SELECT outcome, metadata FROM audit_events WHERE action = 'user.profileUpdated' AND target_id = $1`,
      [user.id],
    );
    expect(row).toEqual({
      outcome: 'SUCCESS',
      metadata: { before: { name: 'renamer' }, after: { name: 'Ada Lovelace' } },
    });
  });

  it('refuses an empty, overlong or control-character name with BAD_USER_INPUT that does not echo it, and changes nothing', async () => {
    const user = await signUp(t, 'bad-name');
    for (const name of ['   ', 'N'.repeat(101), 'Evil\u0007Name']) {
      const res = await t.gql(UPDATE, { n: name }, user.headers);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(JSON.stringify(res.errors)).not.toContain(name.trim() || '   ');
    }
    expect((await t.gql(`{ me { name } }`, {}, user.headers)).data).toEqual({
      me: { name: 'bad-name' },
    });
  });

  it('needs a signed-in person', async () => {
    expect(codeOf(await t.gql(UPDATE, { n: 'Anonymous' }))).toBe('UNAUTHENTICATED');
  });
});

describe('signUpAllowed', () => {
  it('answers anyone, following ALLOW_SIGNUP', async () => {
    expect((await t.gql(`{ signUpAllowed }`)).data).toEqual({ signUpAllowed: true });
    const closed = await startTestServer({ ALLOW_SIGNUP: 'false' });
    try {
      expect((await closed.gql(`{ signUpAllowed }`)).data).toEqual({ signUpAllowed: false });
    } finally {
      await closed.close();
    }
  });
});
