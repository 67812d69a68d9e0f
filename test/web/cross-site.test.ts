import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { PASSWORD } from '../helpers/factories';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';

/**
 * In a real Chromium, signed in to the web app: a page of another origin posts a form to
 * /graphql (the classic cross-site request forgery) and fetches it without a preflight. The
 * browser's session cookie must get nothing done: no key is created, and the page can't read
 * anything. The same request from the app's own page works, so the forged one failed for the
 * right reason.
 */

describeWithChromium('a page of another origin and the session cookie', () => {
  let t: TestServer;
  let owner: SignedInUser;
  let team: TeamFixture;
  let b: IsolatedBrowser;
  let evil: http.Server;
  let evilUrl: string;

  const keyCount = async () =>
    (
      await t.dataSource.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM api_keys WHERE team_id = $1',
        [team.id],
      )
    )[0].n;

  beforeAll(async () => {
    ({ t, owner, team } = await seed().owner('csrf-owner').team('Forgery target'));
    b = await launchIsolated();
    // the attacker's page: another origin (localhost, another port) than the service (127.0.0.1)
    evil = http.createServer((_request, response) => {
      response.setHeader('content-type', 'text/html; charset=utf-8');
      response.end(attackerPage(t.url, team.id));
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    evil?.close();
    await t?.close();
  });

  it('a form posted from another origin, and a fetch from it, create nothing', async () => {
    const { page } = b;
    // signed in to the app: the session cookie is in the browser
    await page.goto(`${t.url}/sign-in`);
    const signedIn = await page.evaluate(
      async ([email, password]) =>
        (
          await fetch('/v1/session', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ email, password }),
          })
        ).status,
      [owner.email, PASSWORD] as const,
    );
    expect(signedIn).toBe(200);
    const before = await keyCount();

    await page.goto(evilUrl);
    await page.waitForFunction(() => (globalThis as unknown as { done?: boolean }).done === true);
    const fetched = await page.evaluate(
      () => (globalThis as unknown as { fetched: string }).fetched,
    );
    // the form's answer went to the hidden frame; the fetch could not read an answer
    expect(fetched).toMatch(/^(opaque|failed)/);
    await page.waitForTimeout(300);
    expect(await keyCount()).toBe(before);

    // the app's own page, with the same cookie, may
    await page.goto(`${t.url}/sign-in`);
    const status = await page.evaluate(async (query) => {
      const answer = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      return answer.status;
    }, createKeyMutation(team.id));
    expect(status).toBe(200);
    expect(await keyCount()).toBe(before + 1);
    expect(b.external).toEqual([]);
  });
});

function createKeyMutation(teamId: string): string {
  return `mutation { createApiKey(input: { teamId: "${teamId}", name: "forged", scopes: [] }) { secret } }`;
}

/** A page that posts a form and fires a no-cors fetch at the service, then says it is done. */
function attackerPage(serviceUrl: string, teamId: string): string {
  const query = createKeyMutation(teamId);
  // text/plain sends name=value: the name opens the JSON, the value closes it, and the '=' between
  // them lands inside a padding string, so the body is a valid GraphQL request
  const attribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  const name = `${JSON.stringify({ query }).slice(0, -1)},"pad":"`;
  return `<!doctype html><html><body>
<iframe name="sink" title="sink"></iframe>
<form id="f" method="POST" action="${serviceUrl}/graphql" enctype="text/plain" target="sink">
<input type="hidden" name="${attribute(name)}" value="${attribute('"}')}">
</form>
<script>
window.fetched = 'pending';
document.getElementById('f').submit();
fetch(${JSON.stringify(`${serviceUrl}/graphql`)}, {
  method: 'POST', mode: 'no-cors', credentials: 'include',
  headers: { 'content-type': 'text/plain' },
  body: ${JSON.stringify(JSON.stringify({ query }))}
}).then(function (r) { window.fetched = r.type; }, function (e) { window.fetched = 'failed ' + e; })
  .finally(function () { setTimeout(function () { window.done = true; }, 500); });
</script></body></html>`;
}
