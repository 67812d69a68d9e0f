import type { Page } from 'playwright-core';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { eventually } from '../helpers/http';
import { seed, type SeededMember } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { choose, seriousAccessibilityFindings, signInThroughPage } from '../helpers/web-app';

/**
 * The team's key rules in a real Chromium: the owner requires an expiry and describes an
 * application permission in Settings (read back from the database); the create dialog offers that
 * permission by its description and says the rule when a key without expiry is refused; a key made
 * before the rule is marked out of policy, with the rule it breaks on its page; a member without
 * permission to manage the team reads the rules but gets no form.
 */

describeWithChromium("the team's key rules in the web app", () => {
  let t: TestServer;
  let owner: SignedInUser;
  let member: SeededMember;
  let team: TeamFixture;
  let b: IsolatedBrowser;
  let page: Page;

  beforeAll(async () => {
    ({ t, owner, member, team } = await seed()
      .owner('rules-owner')
      .team('Ruled Ltd')
      .member('member', 'Member', { prefix: 'rules-member' })
      .key('old', { name: 'Old forever key' }));
    b = await launchIsolated();
    page = b.page;
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const rulesTab = () => `${t.url}/teams/${team.id}/settings/profile-team?tab=key-rules`;
  const apiAccess = () => `${t.url}/teams/${team.id}/settings/profile-team/api-access`;
  const policy = async () =>
    (
      await t.dataSource.query<
        { require_expiry: boolean; application_scopes: { name: string; description: string }[] }[]
      >('SELECT require_expiry, application_scopes FROM api_key_policies WHERE team_id = $1', [
        team.id,
      ])
    )[0];

  it('the owner requires an expiry and describes an application permission', async () => {
    await signInThroughPage(page, t.url, owner.email);
    await page.goto(rulesTab());
    const form = page.getByRole('region', { name: 'Change the key rules' });
    await form.getByRole('checkbox', { name: 'Every key must expire' }).check();
    await form.getByRole('button', { name: 'Add an application permission' }).click();
    await form.getByLabel('Name of entry 1').fill('orders:read');
    await form.getByLabel('What entry 1 allows').fill("See the shop's orders");
    // a permission of this service itself is refused before anything is sent
    await form.getByLabel('Application permissions keys may hold').fill('apiKeys:read');
    await form.getByRole('button', { name: 'Save key rules' }).click();
    await form.getByRole('alert').filter({ hasText: 'is a permission of this service' }).waitFor();
    await form.getByLabel('Application permissions keys may hold').fill('');
    await form.getByRole('button', { name: 'Save key rules' }).click();
    await form.getByRole('status').filter({ hasText: 'The key rules were saved.' }).waitFor();
    expect(await eventually(async () => (await policy())?.require_expiry === true)).toBe(true);
    expect((await policy()).application_scopes).toEqual([
      { name: 'orders:read', description: "See the shop's orders" },
    ]);
    // the rules as everyone reads them
    const rules = page.getByRole('region', { name: 'Key rules' });
    await rules.getByText("See the shop's orders").waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
  });

  it('the create dialog offers the catalogue by its description and says the rule when refused', async () => {
    await page.goto(apiAccess());
    await page.getByRole('button', { name: 'Create New API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create New API Key' });
    await dialog.getByLabel('Name').fill('Shop reader');
    const orders = dialog.getByRole('checkbox', { name: "See the shop's orders" });
    await orders.check();
    await dialog.getByText("Your team's key rules require an expiry.").waitFor();
    // "Never" is still the default: the server refuses it, and the dialog names the rule
    await dialog.getByRole('button', { name: 'Create API key' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: "Your team's key rules require every key to have an expiry." })
      .waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);

    await choose(page, 'Expiry', 'In 30 days');
    await dialog.getByRole('button', { name: 'Create API key' }).click();
    await dialog.getByText("You can't view it again").waitFor();
    await dialog.getByRole('button', { name: 'I have stored the secret' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const [made] = await t.dataSource.query<{ scopes: string[]; expires_at: Date | null }[]>(
      `SELECT scopes, expires_at FROM api_keys WHERE team_id = $1 AND name = 'Shop reader'`,
      [team.id],
    );
    expect(made.scopes).toEqual(['orders:read']);
    expect(made.expires_at).not.toBeNull();
  });

  it('a key made before the rule is marked out of policy, and its page says why', async () => {
    await page.goto(apiAccess());
    const oldRow = page.getByRole('row', { name: /Old forever key/ });
    await oldRow.getByText('Out of policy', { exact: true }).waitFor();
    const newRow = page.getByRole('row', { name: /Shop reader/ });
    await newRow.waitFor();
    expect(await newRow.getByText('Out of policy').count()).toBe(0);

    await oldRow.getByRole('link', { name: 'Old forever key' }).click();
    await page.getByRole('heading', { name: 'Old forever key', level: 1 }).waitFor();
    await page.getByText("The team's key rules require an expiry.").waitFor();
    expect(b.external).toEqual([]);
    expect(b.cspViolations).toEqual([]);
  });

  it('a member without permission to manage the team reads the rules but gets no form', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await signInThroughPage(page, t.url, member.email);
    await page.goto(rulesTab());
    const rules = page.getByRole('region', { name: 'Key rules' });
    await rules.getByText("See the shop's orders").waitFor();
    await rules.getByText('Every key must expire').waitFor();
    await page.getByText('You need permission to manage the team.').waitFor();
    expect(await page.getByRole('button', { name: 'Save key rules' }).count()).toBe(0);
    expect(await page.getByRole('region', { name: 'Change the key rules' }).count()).toBe(0);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
  });
});
