/**
 * The browser's session: the web app signs in through a same-origin route that puts the session
 * token in an HttpOnly, SameSite=Strict cookie, never in the answer, so no script of the page can
 * read it. The cookie acts only on requests from this origin: a page elsewhere that makes the
 * browser send it (a form posted to /graphql, a sibling subdomain) gets nothing done. Signing out
 * ends the session on the server. Bearer tokens keep working for API use.
 */
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import type { SignedInUser } from '../helpers/factories';
import { PASSWORD, uniqueEmail } from '../helpers/factories';
import { codeOf, typed } from '../helpers/graphql';
import { httpRequest, uniqueLoopback, type HttpAnswer } from '../helpers/http';
import type { TeamFixture } from '../helpers/factories';

let t: TestServer;
let owner: SignedInUser;
let team: TeamFixture;
beforeAll(async () => {
  ({ t, owner, team } = await seed().owner('cookie-owner').team('Cookie team'));
});
afterAll(() => t.close());

const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin' };

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return httpRequest(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...SAME_ORIGIN, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The cookie pair (name=value) the answer set, and its attributes. */
function setCookie(answer: HttpAnswer): { pair: string; attributes: string[] } {
  const header = answer.headers['set-cookie']?.[0];
  if (!header) throw new Error(`no Set-Cookie in ${answer.status} ${answer.text}`);
  const [pair, ...attributes] = header.split(/;\s*/);
  return { pair, attributes: attributes.map((a) => a.toLowerCase()) };
}

async function signIn(email = owner.email): Promise<string> {
  const answer = await post('/v1/session', { email, password: PASSWORD });
  expect(answer.status).toBe(200);
  return setCookie(answer).pair;
}

const ME = typed<{ me: { email: string } }>('{ me { email } }');

describe('signing in through the session route', () => {
  it('sets an HttpOnly, SameSite=Strict cookie for the whole site and answers the user without the token', async () => {
    const answer = await post('/v1/session', { email: owner.email, password: PASSWORD });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as { user: { email: string } };
    expect(body.user.email).toBe(owner.email);
    const { pair, attributes } = setCookie(answer);
    expect(pair).toMatch(/^empress_session=emst_[0-9A-Za-z]{43}$/);
    expect(answer.text).not.toContain(pair.split('=')[1]);
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/']));
    expect(attributes.some((a) => a.startsWith('expires='))).toBe(true);
    // plain HTTP: not Secure (the browser would drop it); over HTTPS it is (next test)
    expect(attributes).not.toContain('secure');
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  it('over HTTPS (a proxy named in TRUST_PROXY says so) the cookie is Secure and __Host- prefixed', async () => {
    const { t: behindProxy, owner: user } = await seed({ TRUST_PROXY: '127.0.0.1' }).owner('tls');
    try {
      const answer = await httpRequest(`${behindProxy.url}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
        body: JSON.stringify({ email: user.email, password: PASSWORD }),
      });
      const { pair, attributes } = setCookie(answer);
      expect(pair).toMatch(/^__Host-empress_session=emst_/);
      expect(attributes).toEqual(expect.arrayContaining(['secure', 'httponly', 'path=/']));
      expect(attributes.some((a) => a.startsWith('domain='))).toBe(false);
    } finally {
      await behindProxy.close();
    }
  });

  it('the cookie signs in the same-origin requests of the app, to /graphql and the export', async () => {
    const cookie = await signIn();
    const me = await t.gql(ME, {}, { cookie, ...SAME_ORIGIN });
    expect(me.data?.me.email).toBe(owner.email);
    const exported = await httpRequest(`${t.url}/v1/audit/export?teamId=${team.id}&format=csv`, {
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    });
    expect(exported.status).toBe(200);
    // a request that is not from a web page at all (no Sec-Fetch-Site, no Origin) may use it too
    expect((await t.gql(ME, {}, { cookie })).data?.me.email).toBe(owner.email);
  });

  it('a wrong password answers 401 in the API shape, sets no cookie and counts as a failed sign-in', async () => {
    const from = uniqueLoopback();
    const answer = await httpRequest(`${t.url}/v1/session`, {
      method: 'POST',
      localAddress: from,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: owner.email, password: 'not the password at all' }),
    });
    expect(answer.status).toBe(401);
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(JSON.parse(answer.text)).toEqual({
      errors: [{ message: expect.any(String), extensions: { code: 'UNAUTHENTICATED' } }],
    });
    const [{ count }] = await t.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM audit_events WHERE action = 'auth.loginFailed' AND ip = $1`,
      [from],
    );
    expect(count).toBe(1);
  });

  it('refuses what is not a JSON object of strings, with a 400 and no session', async () => {
    for (const [body, type] of [
      ['email=a&password=b', 'application/x-www-form-urlencoded'],
      [`{"email":"${owner.email}","password":"${PASSWORD}"}`, 'text/plain'],
      ['[1,2]', 'application/json'],
      ['{"email": 1, "password": []}', 'application/json'],
      ['{not json', 'application/json'],
    ]) {
      const answer = await post('/v1/session', body, { 'content-type': type });
      expect({ body, status: answer.status }).toEqual({
        body,
        status: expect.any(Number) as number,
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
  });
});

describe('a page of another origin can do nothing with the cookie', () => {
  let cookie: string;
  beforeAll(async () => {
    cookie = await signIn();
  });

  const keyCount = async () =>
    (
      await t.dataSource.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM api_keys WHERE team_id = $1',
        [team.id],
      )
    )[0].n;
  const createKey = `mutation { createApiKey(input: { teamId: "${'TEAM'}", name: "csrf", scopes: [] }) { secret } }`;

  it('a form posted to /graphql from another site creates nothing', async () => {
    const before = await keyCount();
    const query = createKey.replace('TEAM', team.id);
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', `query=${encodeURIComponent(query)}`],
      ['text/plain', JSON.stringify({ query })],
      [
        'multipart/form-data; boundary=x',
        `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${query}\r\n--x--\r\n`,
      ],
    ]) {
      const answer = await httpRequest(`${t.url}/graphql`, {
        method: 'POST',
        headers: {
          cookie,
          'content-type': type,
          origin: 'http://evil.example',
          'sec-fetch-site': 'cross-site',
        },
        body,
      });
      expect({ type, ok: answer.status === 200 && answer.text.includes('"secret"') }).toEqual({
        type,
        ok: false,
      });
    }
    expect(await keyCount()).toBe(before);
  });

  it('even a JSON request from another origin (a sibling subdomain, an old browser) runs without the session', async () => {
    const before = await keyCount();
    const query = createKey.replace('TEAM', team.id);
    const elsewhere: Record<string, string>[] = [
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'http://other.localhost:1234' },
      { origin: 'null' },
    ];
    for (const headers of elsewhere) {
      const res = await t.gql(query, {}, { cookie, ...headers });
      expect({ headers, code: codeOf(res) }).toEqual({ headers, code: 'UNAUTHENTICATED' });
      const me = await t.gql(ME, {}, { cookie, ...headers });
      expect(codeOf(me)).toBe('UNAUTHENTICATED');
    }
    expect(await keyCount()).toBe(before);
    // the same requests from the service's own origin are the user's
    const own = await t.gql(ME, {}, { cookie, origin: t.url });
    expect(own.data?.me.email).toBe(owner.email);
    const created = await t.gql(query, {}, { cookie, ...SAME_ORIGIN });
    expect(created.errors).toBeUndefined();
    expect(await keyCount()).toBe(before + 1);
  });

  it('no one signs a visitor in from another origin (login CSRF)', async () => {
    const elsewhere: Record<string, string>[] = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'http://evil.example' },
    ];
    for (const headers of elsewhere) {
      const answer = await httpRequest(`${t.url}/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ email: owner.email, password: PASSWORD }),
      });
      expect(answer.status).toBe(403);
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
  });

  it('headers win over the cookie: a Bearer token is who the request is from', async () => {
    const other = await seed().owner('bearer-wins');
    await other.t.close();
    const res = await t.gql(ME, {}, { cookie, ...other.owner.headers });
    expect(res.data?.me.email).toBe(other.owner.email);
  });
});

describe('signing out', () => {
  it('ends the session on the server and clears the cookie; the old cookie is refused and cleared again', async () => {
    const cookie = await signIn();
    const out = await httpRequest(`${t.url}/v1/session`, {
      method: 'DELETE',
      headers: { cookie, ...SAME_ORIGIN },
    });
    expect(out.status).toBe(204);
    const cleared = setCookie(out);
    expect(cleared.pair).toBe('empress_session=');
    expect(cleared.attributes).toContain('expires=thu, 01 jan 1970 00:00:00 gmt');
    // a copy of the cookie kept elsewhere is worth nothing now
    const stale = await httpRequest(`${t.url}/graphql`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', ...SAME_ORIGIN },
      body: JSON.stringify({ query: '{ me { email } }' }),
    });
    expect(stale.status).toBe(401);
    expect(setCookie(stale).pair).toBe('empress_session=');
    // signing out twice is fine
    const again = await httpRequest(`${t.url}/v1/session`, {
      method: 'DELETE',
      headers: { cookie, ...SAME_ORIGIN },
    });
    expect(again.status).toBe(204);
  });
});

describe('signing up through the session route', () => {
  it('creates the account and signs it in when sign-up is open', async () => {
    const email = uniqueEmail('cookie-signup');
    const answer = await post('/v1/session/sign-up', { email, password: PASSWORD, name: 'New' });
    expect(answer.status).toBe(200);
    const cookie = setCookie(answer).pair;
    expect((await t.gql(ME, {}, { cookie })).data?.me.email).toBe(email);
    const taken = await post('/v1/session/sign-up', { email, password: PASSWORD, name: 'Again' });
    expect(taken.status).toBe(409);
    expect(codeOf(JSON.parse(taken.text))).toBe('CONFLICT');
  });

  it('answers 403 when sign-up is closed, and the sign-in page can ask first', async () => {
    const { t: closed } = await seed({ ALLOW_SIGNUP: 'false' });
    try {
      const asked = await closed.gql(typed<{ signUpAllowed: boolean }>('{ signUpAllowed }'));
      expect(asked.data?.signUpAllowed).toBe(false);
      const answer = await httpRequest(`${closed.url}/v1/session/sign-up`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: uniqueEmail('closed'), password: PASSWORD, name: 'No' }),
      });
      expect(answer.status).toBe(403);
      expect(answer.headers['set-cookie']).toBeUndefined();
    } finally {
      await closed.close();
    }
  });
});
