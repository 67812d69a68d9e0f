import type { Page } from 'playwright-core';
import { basic, type CreatedKey } from '../helpers/api-keys';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { eventually, httpRequest } from '../helpers/http';
import { seed, type SeededMember } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import {
  choose,
  screenshot,
  seriousAccessibilityFindings,
  signInThroughPage,
} from '../helpers/web-app';

/**
 * A key's rate limit and credits in a real Chromium against the real server: an admin gives a
 * key a rate limit in its edit dialog, the key page and the list say it in words, and the
 * service's own /v1/authorize then lets exactly that many requests through and answers 429 with
 * the RateLimit headers; removing the limit lets the key through again. Credits set in the create
 * dialog show as credits left, fewer after the key is used. The dashboard lists a key about to
 * expire, with the time left, linking to its page. The owner sets the team's default rate limit
 * in Key rules and a key created without a limit gets it; a member reads the default but gets no
 * form.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

describeWithChromium('rate limits and credits of keys in the web app', () => {
  let t: TestServer;
  let owner: SignedInUser;
  let admin: SeededMember;
  let member: SeededMember;
  let team: TeamFixture;
  let metered: CreatedKey;
  let b: IsolatedBrowser;
  let page: Page;

  beforeAll(async () => {
    ({ t, owner, admin, member, team, metered } = await seed()
      .owner('limits-owner')
      .team('Limited Ltd')
      .member('admin', 'Admin', { prefix: 'limits-admin' })
      .member('member', 'Member', { prefix: 'limits-member' })
      .key('metered', { name: 'Metered app' })
      .key('soon', {
        name: 'Soon expiring key',
        expiresAt: new Date(Date.now() + 3 * DAY_MS).toISOString(),
      }));
    b = await launchIsolated();
    page = b.page;
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const apiAccess = () => `${t.url}/teams/${team.id}/settings/profile-team/api-access`;
  const rulesTab = () => `${t.url}/teams/${team.id}/settings/profile-team?tab=key-rules`;
  const dashboard = () => `${t.url}/teams/${team.id}/dashboard`;
  /** GET /v1/authorize with the key's credentials, as a gateway would ask */
  const authorize = (key: string, secret: string) =>
    httpRequest(`${t.url}/v1/authorize`, { headers: basic(key, secret) });
  const row = (name: string) => page.getByRole('row', { name: new RegExp(name) });

  async function signOut() {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
  }

  it('the dashboard lists a key about to expire, with the time left, and links to it', async () => {
    await signInThroughPage(page, t.url, admin.email);
    await page.goto(dashboard());
    const expiring = page.getByRole('region', { name: /Expiring within 14 days/ });
    await expiring.getByRole('heading', { name: 'Expiring within 14 days: 1' }).waitFor();
    await expiring.getByText(/expires in 3 days, on /).waitFor();
    expect(await expiring.getByRole('link', { name: 'Metered app' }).count()).toBe(0);
    await page
      .getByRole('region', { name: /Out of policy/ })
      .getByText("Every active key follows the team's key rules.")
      .waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'limits-dashboard');
    await expiring.getByRole('link', { name: 'Soon expiring key' }).click();
    await page.getByRole('heading', { name: 'Soon expiring key', level: 1 }).waitFor();
    expect(page.url()).toContain('/api-access/');
  });

  it('an admin sets a rate limit in the edit dialog; /v1/authorize holds the key to it', async () => {
    await page.goto(`${apiAccess()}/${metered.id}`);
    await page.getByRole('heading', { name: 'Metered app', level: 1 }).waitFor();
    const settings = page.getByRole('region', { name: 'Settings' });
    await settings.getByText('No limit', { exact: true }).waitFor();
    await settings.getByText('Unlimited', { exact: true }).waitFor();

    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit API key' });
    await dialog.getByText("Loading the team's key rules…").waitFor({ state: 'hidden' });
    // a number out of bounds is refused before anything is sent, on its own field
    await dialog.getByLabel('Requests allowed').fill('0');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'Enter 1 to 1,000,000 requests' }).waitFor();
    expect(await dialog.getByLabel('Requests allowed').getAttribute('aria-invalid')).toBe('true');
    await dialog.getByLabel('Requests allowed').fill('3');
    await choose(page, 'Time window', 'Per minute');
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'limits-edit-dialog');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('status').filter({ hasText: 'Your changes were saved.' }).waitFor();
    await settings.getByText('3 requests per minute', { exact: true }).waitFor();

    await page.goto(apiAccess());
    await row('Metered app').getByText('3 requests per minute', { exact: true }).waitFor();
    await row('Soon expiring key').getByText('No rate limit', { exact: true }).waitFor();
    await row('Soon expiring key').getByText('Unlimited credits', { exact: true }).waitFor();

    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await authorize(metered.key, metered.secret));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
    const refused = answers[3];
    expect(JSON.parse(refused.text)).toEqual({ code: 'RATE_LIMITED' });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers['ratelimit-policy']).toBe('"key";q=3;w=60');
    expect(refused.headers['ratelimit']).toMatch(/^"key";r=0;t=\d+$/);
  });

  it('removing the limit in the edit dialog lets the key through again', async () => {
    await page.goto(`${apiAccess()}/${metered.id}`);
    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit API key' });
    await dialog.getByText("Loading the team's key rules…").waitFor({ state: 'hidden' });
    expect(await dialog.getByLabel('Requests allowed').inputValue()).toBe('3');
    await dialog.getByLabel('Requests allowed').fill('');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const settings = page.getByRole('region', { name: 'Settings' });
    await settings.getByText('No limit', { exact: true }).waitFor();
    const [stored] = await t.dataSource.query<{ rate_limit: unknown }[]>(
      'SELECT rate_limit FROM api_keys WHERE id = $1',
      [metered.id],
    );
    expect(stored.rate_limit ?? null).toBeNull();
    expect((await authorize(metered.key, metered.secret)).status).toBe(200);
  });

  it('credits set in the create dialog show as credits left, and fewer once the key is used', async () => {
    await page.goto(apiAccess());
    await page.getByRole('button', { name: 'Create New API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create New API Key' });
    await dialog.getByLabel('Name').fill('Metered by credits');
    await dialog.getByLabel('Credits left').fill('10');
    await choose(page, 'Refill', 'Every month (on the 1st, at midnight UTC)');
    // a refill needs its amount
    await dialog.getByRole('button', { name: 'Create API key' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: 'Enter the credits of each refill' })
      .waitFor();
    await dialog.getByLabel('Refill to').fill('500');
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Create API key' }).click();
    await dialog.getByText("You can't view it again").waitFor();
    const key = await dialog.getByLabel('API key', { exact: true }).inputValue();
    const secret = await dialog.getByLabel('API secret', { exact: true }).inputValue();
    await dialog.getByRole('button', { name: 'I have stored the secret' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const made = row('Metered by credits');
    await made.getByText('10 credits left', { exact: true }).waitFor();
    await made.getByText('refilled to 500 every month', { exact: true }).waitFor();
    // no rate limit given and the team has no default: none
    await made.getByText('No rate limit', { exact: true }).waitFor();
    await screenshot(page, 'limits-api-access');

    const used = await authorize(key, secret);
    expect(used.status).toBe(200);
    expect(Number(used.headers['x-empress-credits-remaining'])).toBeLessThan(10);

    // with at most 50 left, an instance takes exactly what a request costs
    const creditsLeft = async () => {
      await page.reload();
      const text = await row('Metered by credits')
        .getByText(/credits? left$/)
        .textContent();
      return Number(/^(\d+)/.exec(text ?? '')?.[1] ?? NaN);
    };
    expect(await eventually(async () => (await creditsLeft()) < 10)).toBe(true);
    expect(await creditsLeft()).toBe(9);

    await row('Metered by credits').getByRole('link', { name: 'Metered by credits' }).click();
    const settings = page.getByRole('region', { name: 'Settings' });
    await settings.getByText('9 credits left').waitFor();
    await settings
      .getByText(/Refilled to 500 on the 1st of every month at midnight UTC\./)
      .waitFor();
    await screenshot(page, 'limits-key-page');
  });

  it('the owner sets a default rate limit; a key created without one gets it', async () => {
    await signOut();
    await signInThroughPage(page, t.url, owner.email);
    await page.goto(rulesTab());
    const form = page.getByRole('region', { name: 'Change the key rules' });
    await form.getByLabel('Requests allowed').fill('100');
    await choose(page, 'Time window', 'Per hour');
    await form.getByRole('button', { name: 'Save key rules' }).click();
    await form.getByRole('status').filter({ hasText: 'The key rules were saved.' }).waitFor();
    const rules = page.getByRole('region', { name: 'Key rules', exact: true });
    await rules.getByText('100 requests per hour', { exact: true }).waitFor();
    const [policy] = await t.dataSource.query<{ default_rate_limit: unknown }[]>(
      'SELECT default_rate_limit FROM api_key_policies WHERE team_id = $1',
      [team.id],
    );
    expect(policy.default_rate_limit).toMatchObject({ limit: 100, windowSeconds: 3600 });
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'limits-key-rules');

    await page.goto(apiAccess());
    await page.getByRole('button', { name: 'Create New API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create New API Key' });
    await dialog
      .getByText("Leave it empty and the team's default applies: 100 requests per hour.")
      .waitFor();
    await screenshot(page, 'limits-create-dialog');
    await dialog.getByLabel('Name').fill('Defaulted key');
    await dialog.getByRole('button', { name: 'Create API key' }).click();
    await dialog.getByText("You can't view it again").waitFor();
    await dialog.getByRole('button', { name: 'I have stored the secret' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row('Defaulted key').getByText('100 requests per hour', { exact: true }).waitFor();
    // keys that existed keep what they had
    await row('Soon expiring key').getByText('No rate limit', { exact: true }).waitFor();
    expect(b.external).toEqual([]);
    expect(b.cspViolations).toEqual([]);
  });

  it('a member without permission to manage the team reads the default but gets no form', async () => {
    await signOut();
    await signInThroughPage(page, t.url, member.email);
    await page.goto(rulesTab());
    const rules = page.getByRole('region', { name: 'Key rules', exact: true });
    await rules.getByText('Default rate limit for new keys').waitFor();
    await rules.getByText('100 requests per hour', { exact: true }).waitFor();
    await page.getByText('You need permission to manage the team.').waitFor();
    expect(await page.getByRole('button', { name: 'Save key rules' }).count()).toBe(0);
    expect(await page.getByLabel('Requests allowed').count()).toBe(0);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);

    // the member reads the limits in the list too, but changes nothing
    await page.goto(apiAccess());
    await row('Defaulted key').getByText('100 requests per hour', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Create New API Key' }).count()).toBe(0);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
  });
});
