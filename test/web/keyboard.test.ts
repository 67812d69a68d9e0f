import type { Page } from 'playwright-core';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { eventually } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { signInThroughPage, readClipboard } from '../helpers/web-app';

/**
 * The whole create-and-copy flow with the keyboard only: Tab to "Create New API Key", Enter, type,
 * Tab to the copy buttons, Enter, and "Copied" is announced in a live region. Dialogs keep the
 * focus inside while open; Escape closes them and the focus returns to what opened them; the
 * secret's dialog asks before it closes.
 */

interface FocusedElement {
  tag: string;
  name: string;
  inDialog: boolean;
}

/** What has the focus: its tag, its accessible text, and whether it sits in the open dialog. */
function focused(page: Page): Promise<FocusedElement> {
  return page.evaluate(() => {
    interface El {
      tagName: string;
      textContent: string | null;
      getAttribute(name: string): string | null;
      closest(selector: string): unknown;
    }
    const el = (globalThis as unknown as { document: { activeElement: El | null } }).document
      .activeElement;
    return {
      tag: el?.tagName.toLowerCase() ?? '',
      name: (el?.getAttribute('aria-label') ?? el?.textContent ?? '').trim(),
      inDialog: Boolean(el?.closest('[role="dialog"]')),
    };
  });
}

/** Press Tab until the focus is on a button with this text (at most `limit` presses). */
async function tabTo(page: Page, name: string, limit = 60): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(page);
    if (now.name === name) return;
  }
  throw new Error(`no "${name}" within ${limit} presses of Tab`);
}

describeWithChromium('the keyboard only', () => {
  let t: TestServer;
  let owner: SignedInUser;
  let team: TeamFixture;
  let b: IsolatedBrowser;
  let page: Page;

  beforeAll(async () => {
    ({ t, owner, team } = await seed().owner('keyboard-owner').team('Keys by keyboard'));
    b = await launchIsolated({ clipboard: true });
    page = b.page;
    await signInThroughPage(page, t.url, owner.email);
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const clipboard = () => readClipboard(page);

  it('creates a key and copies its secret without a mouse', async () => {
    await page.goto(`${t.url}/teams/${team.id}/settings/profile-team/api-access`);
    await page.getByRole('heading', { name: 'API Access', level: 1 }).waitFor();
    await tabTo(page, 'Create New API Key');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Create New API Key' });
    await dialog.waitFor();
    // the focus moved into the dialog, on its first field
    expect((await focused(page)).inDialog).toBe(true);
    await dialog.getByLabel('Name').focus();
    await page.keyboard.type('Typed key');
    await tabTo(page, 'Create API key');
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Copy API secret' }).waitFor();

    await tabTo(page, 'Copy API secret');
    await page.keyboard.press('Enter');
    await dialog.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    const secret = await dialog.getByLabel('API secret', { exact: true }).inputValue();
    expect(await clipboard()).toBe(secret);

    // Tab never leaves the dialog
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Tab');
      expect((await focused(page)).inDialog).toBe(true);
    }
    // Escape asks first; a second Escape keeps the secret on screen
    await page.keyboard.press('Escape');
    await dialog.getByText('Close without storing the secret?').waitFor();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Copy API secret' }).waitFor();
    await tabTo(page, 'I have stored the secret');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    // back where the person started (once the dialog's closing transition has ended)
    expect(await eventually(async () => (await focused(page)).name === 'Create New API Key')).toBe(
      true,
    );
  });

  it('Escape closes an ordinary dialog and gives the focus back to its opener', async () => {
    await page.goto(`${t.url}/teams/${team.id}/settings/profile-team/api-access`);
    await page.getByRole('row', { name: /Typed key/ }).waitFor();
    await tabTo(page, 'Revoke');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
    await dialog.waitFor();
    expect((await focused(page)).inDialog).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await eventually(async () => (await focused(page)).name === 'Revoke')).toBe(true);
    // nothing was revoked
    await page
      .getByRole('row', { name: /Typed key/ })
      .getByText('Active')
      .first()
      .waitFor();
  });
});
