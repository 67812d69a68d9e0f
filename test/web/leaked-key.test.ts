import type { Page } from 'playwright-core';
import { LogInDocument, ReportLeakedSecretDocument } from '../clients/generated/graphql';
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
 * status, on its page and in the dashboard's Needs attention, with where the secret was found, as
 * text and never as a link (anyone who held the secret wrote it). A key revoked by a person says
 * nothing of the kind. Without email, the dashboard also tells a person of lockouts of their account.
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

  it('without email, the dashboard lists the leaked keys under Needs attention, linking to all of them', async () => {
    await page.goto(`${t.url}/teams/${team.id}/dashboard`);
    const leakedList = page.getByRole('region', { name: /Revoked: secret leaked/ });
    await leakedList.getByRole('heading', { name: 'Revoked: secret leaked: 2' }).waitFor();
    await leakedList
      .getByText(new RegExp(`revoked on .*: its secret was found at ${where}`))
      .waitFor();
    expect(await leakedList.getByRole('link', { name: 'Fine app' }).count()).toBe(0);
    expect(await page.locator('a[href^="javascript:"]').count()).toBe(0);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'leaked-key-dashboard');

    await leakedList.getByRole('link', { name: 'See all 2 keys' }).click();
    await row('Leaked app').waitFor();
    await row('Hostile source').waitFor();
    expect(await row('Fine app').count()).toBe(0);
    expect(await page.getByRole('checkbox', { name: 'Leaked' }).isChecked()).toBe(true);
  });

  it('without email, a person whose account was locked after failed sign-ins is told on the dashboard, with the address', async () => {
    const guesser = uniqueLoopback();
    const guess = graphqlClient(t.url, { from: guesser });
    for (let i = 0; i < 10; i++)
      await guess(LogInDocument, { email: owner.email, password: `not the password ${i}` });
    await page.goto(`${t.url}/teams/${team.id}/dashboard`);
    const notice = page.getByRole('region', {
      name: 'Your account was locked after failed sign-ins',
    });
    await notice.getByText(`10 failed sign-ins within 15 minutes, from ${guesser}`).waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await notice.getByRole('link', { name: 'change it' }).click();
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
  });
});
