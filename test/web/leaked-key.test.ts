import type { Page } from 'playwright-core';
import { ReportLeakedSecretDocument } from '../clients/generated/graphql';
import type { CreatedKey } from '../helpers/api-keys';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { graphqlClient } from '../helpers/graphql';
import { uniqueLoopback } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { screenshot, seriousAccessibilityFindings, signInThroughPage } from '../helpers/web-app';

/**
 * A key revoked because its secret leaked says so in a real Chromium: in the list, under its
 * status, and on its page, with where the secret was found, as text and never as a link (anyone
 * who held the secret wrote it). A key revoked by a person says nothing of the kind.
 */
describeWithChromium('a leaked key in the web app', () => {
  let t: TestServer;
  let owner: SignedInUser;
  let team: TeamFixture;
  let leaked: CreatedKey;
  let hostile: CreatedKey;
  let b: IsolatedBrowser;
  let page: Page;
  const where = 'https://gist.example.com/someone/3f1c';

  beforeAll(async () => {
    ({ t, owner, team, leaked, hostile } = await seed()
      .owner('leaked-web-owner')
      .team('Leaky web')
      .key('leaked', { name: 'Leaked app' })
      .key('hostile', { name: 'Hostile source' })
      .key('fine', { name: 'Fine app' }));
    const reporter = graphqlClient(t.url, { from: uniqueLoopback() });
    for (const [k, url] of [
      [leaked, where],
      [hostile, 'javascript:alert(document.cookie)'],
    ] as const) {
      const res = await reporter(ReportLeakedSecretDocument, { secret: k.secret, url });
      expect(res.data).toEqual({ reportLeakedSecret: true });
    }
    b = await launchIsolated();
    page = b.page;
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const apiAccess = () => `${t.url}/teams/${team.id}/settings/profile-team/api-access`;
  const row = (name: string) => page.getByRole('row', { name: new RegExp(name) });

  it('the list says where a leaked secret was found, under its status', async () => {
    await signInThroughPage(page, t.url, owner.email);
    await page.goto(apiAccess());
    await row('Leaked app').getByText(`Revoked: its secret was found at ${where}`).waitFor();
    await row('Hostile source')
      .getByText('Revoked: its secret was found at javascript:alert(document.cookie)')
      .waitFor();
    expect(
      await row('Fine app')
        .getByText(/its secret was found/)
        .count(),
    ).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'leaked-key-list');
  });

  it("the key's page says it leaked, where, and what to do now", async () => {
    await page.goto(`${apiAccess()}/${leaked.id}`);
    await page.getByRole('heading', { name: 'Leaked app', level: 1 }).waitFor();
    await page.getByText("This key's secret leaked").waitFor();
    await page.getByText(`Revoked: its secret was found at ${where}.`).waitFor();
    await page.getByText(/create a new key for the application/).waitFor();
    const settings = page.getByRole('region', { name: 'Settings' });
    await settings.getByText(/its secret was reported as found in public/).waitFor();
    expect(await page.getByRole('link', { name: where }).count()).toBe(0);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'leaked-key-page');
  });
});
