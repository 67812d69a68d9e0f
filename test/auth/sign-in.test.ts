import { logIn, PASSWORD, signUp, uniqueEmail } from '../helpers/factories';
import { codeOf } from '../helpers/graphql';
import { startTestServer, type TestServer } from '../helpers/server';

/**
 * Signing up and in: a session token that works until logOut, one answer for an unknown email and
 * a wrong password, only hashes and digests stored, and who an anonymous caller is.
 */
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

describe('sign-in', () => {
  it('signs up, reads me and viewer, logs out, and the token dies', async () => {
    const user = await signUp(t, 'alice');
    const me = await t.gql(`{ me { id email } viewer { type user { id } } }`, {}, user.headers);
    expect(me.data).toEqual({
      me: { id: user.id, email: user.email },
      viewer: { type: 'USER', user: { id: user.id } },
    });

    const out = await t.gql(`mutation { logOut }`, {}, user.headers);
    expect(out.data).toEqual({ logOut: true });
    const after = await t.gql(`{ me { id } }`, {}, user.headers);
    expect(after.status).toBe(401);
    expect(codeOf(after)).toBe('UNAUTHENTICATED');
  });

  it('answers an unknown email and a wrong password the same way', async () => {
    const user = await signUp(t, 'bob');
    const q = `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }`;
    const wrong = await t.gql(q, { e: user.email, p: 'not the password at all' });
    const unknown = await t.gql(q, { e: uniqueEmail('nobody'), p: PASSWORD });
    expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
    expect(wrong.errors).toEqual(unknown.errors);
    expect(wrong.status).toBe(unknown.status);
    await expect(logIn(t, user.email)).resolves.toMatchObject({ id: user.id });
  });

  it('stores only argon2id hashes and token digests', async () => {
    const user = await signUp(t, 'carol');
    const [row] = await t.dataSource.query(`SELECT password_hash FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    const sessions = await t.dataSource.query(
      `SELECT encode(token_digest, 'hex') AS d FROM sessions WHERE user_id = $1`,
      [user.id],
    );
    expect(sessions).toHaveLength(1);
    expect(sessions[0].d).toHaveLength(64);
    expect(JSON.stringify(sessions)).not.toContain(user.token.slice(5));
  });

  it('refuses a garbage bearer token with 401', async () => {
    const res = await t.gql(`{ viewer { type } }`, {}, { authorization: 'Bearer emst_nope' });
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it('tells anonymous callers who they are', async () => {
    const res = await t.gql(`{ viewer { type user { id } apiKey { id } } }`);
    expect(res.data).toEqual({ viewer: { type: 'ANONYMOUS', user: null, apiKey: null } });
  });
});
