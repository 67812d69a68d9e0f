import { startTestServer, type TestServer } from '../helpers/server';

/**
 * The GraphiQL page over plain HTTP: what a browser is handed before it runs anything.
 * (playground.test.ts drives the same page in a real Chromium.)
 */
describe('GraphiQL page over HTTP', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });

  afterAll(async () => {
    await t?.close();
  });

  async function page() {
    const res = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
    return { res, html: await res.text() };
  }

  test('GET /graphql with Accept: text/html answers the GraphiQL page with a strict CSP', async () => {
    const { res, html } = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // no origin other than 'self' anywhere in the policy
    expect(csp).not.toMatch(/https?:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');

    // no inline script, nothing from another origin
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).toContain('id="graphiql"');
  });

  test('every script and stylesheet of the page is served here, with its type', async () => {
    const { html } = await page();
    const refs = [...html.matchAll(/(?:src|href)="(\.?\/playground\/assets\/[^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(refs).toEqual(
      expect.arrayContaining([
        './playground/assets/react.production.min.js',
        './playground/assets/react-dom.production.min.js',
        './playground/assets/graphiql.min.js',
        './playground/assets/graphiql.min.css',
        './playground/assets/playground.js',
      ]),
    );
    for (const ref of refs) {
      const res = await fetch(new URL(ref, `${t.url}/graphql`));
      expect({ ref, status: res.status }).toEqual({ ref, status: 200 });
      expect(res.headers.get('content-type')).toMatch(
        ref.endsWith('.css') ? /^text\/css/ : /^application\/javascript/,
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const body = await res.text();
      expect(body.length).toBeGreaterThan(10);
      // a revalidation costs no body
      const again = await fetch(new URL(ref, `${t.url}/graphql`), {
        headers: { 'if-none-match': res.headers.get('etag') ?? '' },
      });
      expect(again.status).toBe(304);
    }
    const missing = await fetch(`${t.url}/playground/assets/..%2Fpackage.json`);
    expect(missing.status).toBe(404);
  });

  test('the start-up script holds the walkthrough, the example Authorization header and uses no eval', async () => {
    const js = await (await fetch(`${t.url}/playground/assets/playground.js`)).text();
    for (const op of [
      'LogIn',
      'CreateTeam',
      'InviteMember',
      'GrantPermission',
      'CreateApiKey',
      'RegenerateSecret',
      'RevokeApiKey',
      'AuditLog',
    ]) {
      expect(js).toMatch(new RegExp(`(mutation|query) ${op}\\(`));
    }
    expect(js).toContain('Bearer \\u003ctoken from logIn>');
    expect(js).not.toMatch(/\beval\(|new Function\(/);
  });

  test("Apollo's CSRF prevention is still on: a plain GET operation without a preflight header is refused", async () => {
    const res = await fetch(`${t.url}/graphql?query=${encodeURIComponent('{ viewer { type } }')}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/CSRF|preflight/i);
    const json = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { type } }' }),
    });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ data: { viewer: { type: 'ANONYMOUS' } } });
    // and a JSON answer carries no HTML policy
    expect(json.headers.get('content-security-policy')).toBeNull();
  });
});
