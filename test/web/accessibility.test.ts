import type { Page } from 'playwright-core';
import { createKey, verify, type CreatedKey } from '../helpers/api-keys';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import {
  scrollsSideways,
  screenshot,
  seriousAccessibilityFindings,
  signInThroughPage,
} from '../helpers/web-app';

/**
 * Every page and every dialog of the web app, at a phone's width (375 px) and a laptop's
 * (1280 px): axe-core finds no serious or critical violation of WCAG 2.2 A/AA, no page speaks the
 * API's jargon, nothing scrolls sideways on the phone, and each is photographed under
 * test-artifacts/web/ (not committed).
 */

/** Words of the API's makers that a business user should never have to read. */
const JARGON =
  /\b(graphql|mutation|resolver|scopes?|UNAUTHENTICATED|FORBIDDEN|BAD_USER_INPUT|NOT_FOUND|RATE_LIMITED|INTERNAL_SERVER_ERROR|null|undefined)\b/i;

const WIDTHS = [
  { name: 'phone', width: 375, height: 812 },
  { name: 'laptop', width: 1280, height: 800 },
];

interface Screen {
  name: string;
  /** where it lives, under the team's base path unless it starts with / */
  path: string;
  /** opens a dialog on the page, if this screen is a dialog */
  open?: (page: Page) => Promise<void>;
}

const button = (name: string) => async (page: Page) => {
  await page.getByRole('button', { name, exact: true }).first().click();
  await page.getByRole('dialog').waitFor();
};

function screens(keyId: string): Screen[] {
  const apiAccess = 'settings/profile-team/api-access';
  return [
    { name: 'dashboard', path: 'dashboard' },
    { name: 'settings', path: 'settings' },
    { name: 'profile', path: 'settings/profile-team' },
    { name: 'team', path: 'settings/profile-team?tab=team' },
    { name: 'roles', path: 'settings/profile-team?tab=roles' },
    { name: 'key-rules', path: 'settings/profile-team?tab=key-rules' },
    { name: 'api-access', path: apiAccess },
    { name: 'key', path: `${apiAccess}/${keyId}` },
    { name: 'activity', path: 'activity' },
    { name: 'not-found', path: '/no-such-page' },
    { name: 'dialog-create-key', path: apiAccess, open: button('Create New API Key') },
    {
      name: 'dialog-secret',
      path: apiAccess,
      open: async (page) => {
        await button('Create New API Key')(page);
        await page.getByRole('dialog').getByLabel('Name').fill('Checkout service');
        await page.getByRole('button', { name: 'Create API key' }).click();
        await page.getByRole('button', { name: 'Copy API secret' }).waitFor();
      },
    },
    {
      name: 'dialog-close-without-storing',
      path: apiAccess,
      open: async (page) => {
        await button('Create New API Key')(page);
        await page.getByRole('dialog').getByLabel('Name').fill('Mobile app');
        await page.getByRole('button', { name: 'Create API key' }).click();
        await page.getByRole('button', { name: 'Copy API secret' }).waitFor();
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Close without storing' }).waitFor();
      },
    },
    { name: 'dialog-regenerate', path: `${apiAccess}/${keyId}`, open: button('Regenerate secret') },
    { name: 'dialog-revoke', path: `${apiAccess}/${keyId}`, open: button('Revoke') },
    { name: 'dialog-edit-key', path: `${apiAccess}/${keyId}`, open: button('Edit') },
    { name: 'dialog-role', path: 'settings/profile-team?tab=roles', open: button('Create role') },
    {
      name: 'dialog-extra-permissions',
      path: 'settings/profile-team?tab=team',
      open: button('Extra permissions'),
    },
    {
      name: 'dialog-remove-member',
      path: 'settings/profile-team?tab=team',
      open: button('Remove'),
    },
  ];
}

describeWithChromium('every page and dialog, at 375 and 1280 px', () => {
  let t: TestServer;
  let owner: SignedInUser;
  let team: TeamFixture;
  let k: CreatedKey;
  let b: IsolatedBrowser;

  beforeAll(async () => {
    ({ t, owner, team, k } = await seed()
      .owner('a11y-owner')
      .team('Accessible Ltd')
      .member('colleague', 'Member', { prefix: 'a11y-member' })
      .key('k', { name: 'Reporting', scopes: ['apiKeys:read', 'orders:read'] }));
    await createKey(t, owner, team.id, {
      name: 'Warehouse sync',
      description: 'Stock levels for the warehouse',
      scopes: ['orders:read'],
      expiresAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    // some use of the key, so that its page has a chart and its row a last use
    for (let i = 0; i < 5; i++) await verify(t, k.key, k.secret);
    b = await launchIsolated({ clipboard: true });
    await signInThroughPage(b.page, t.url, owner.email);
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const url = (path: string) =>
    path.startsWith('/') ? `${t.url}${path}` : `${t.url}/teams/${team.id}/${path}`;

  test.each(WIDTHS)(
    'at $width px: no serious findings, no sideways scroll',
    async (size) => {
      const { page } = b;
      await page.setViewportSize({ width: size.width, height: size.height });
      const problems: string[] = [];
      for (const screen of screens(k.id)) {
        await page.goto(url(screen.path));
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        if (screen.open) await screen.open(page);
        for (const finding of await seriousAccessibilityFindings(page))
          problems.push(`${screen.name}: ${finding.id} (${finding.impact}) ${finding.targets[0]}`);
        const words = JARGON.exec(await page.locator('body').innerText());
        if (words) problems.push(`${screen.name}: says "${words[0]}"`);
        if (size.width === 375 && !screen.open && (await scrollsSideways(page)))
          problems.push(`${screen.name}: scrolls sideways`);
        await screenshot(page, `${screen.name}-${size.width}`);
      }
      expect(problems).toEqual([]);
      expect(b.external).toEqual([]);
      expect(b.cspViolations).toEqual([]);
    },
    180_000,
  );

  it('the sign-in and sign-up pages pass too', async () => {
    const { page } = b;
    await page.setViewportSize({ width: 375, height: 812 });
    await page.request.delete(`${t.url}/v1/session`);
    for (const path of ['/sign-in', '/sign-up']) {
      await page.goto(`${t.url}${path}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      expect(await seriousAccessibilityFindings(page)).toEqual([]);
      expect(await scrollsSideways(page)).toBe(false);
      await screenshot(page, path.slice(1));
    }
  });
});
