import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { createKey } from '../helpers/api-keys';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { eventually, httpRequest } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import {
  choose,
  screenshot,
  signInThroughPage,
  submitSignIn,
  readClipboard,
} from '../helpers/web-app';

/**
 * The business users' guide, click by click, in a real Chromium against the real server: sign in
 * → Dashboard → Settings → Profile & Team → API Access → Create New API Key → copy the secret
 * (read back from the clipboard) → the copied key and secret pass /v1/authorize → regenerate: the
 * old secret is refused, the new one accepted → revoke: refused. The Activity page then shows
 * those steps with their actor, and its download holds them. No request leaves the machine.
 */

describeWithChromium("the guide's journey in the web app", () => {
  let t: TestServer;
  let owner: SignedInUser;
  let team: TeamFixture;
  let b: IsolatedBrowser;
  let page: Page;

  beforeAll(async () => {
    ({ t, owner, team } = await seed().owner('journey-owner').team('Journey Inc'));
    b = await launchIsolated({ clipboard: true });
    page = b.page;
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  /** Whether /v1/authorize lets this key and secret in (as a gateway would ask). */
  const authorized = async (key: string, secret: string) =>
    (
      await httpRequest(`${t.url}/v1/authorize`, {
        headers: { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}` },
      })
    ).status;

  /** Cookies visible to scripts, localStorage and sessionStorage, as one text. */
  const browserStorage = () =>
    page.evaluate(() => {
      const w = globalThis as unknown as {
        document: { cookie: string };
        localStorage: object;
        sessionStorage: object;
      };
      return JSON.stringify([w.document.cookie, { ...w.localStorage }, { ...w.sessionStorage }]);
    });

  const clipboard = () => readClipboard(page);

  /** Copy a field of the one-time dialog with its button; the live region says so. */
  async function copyFromDialog(field: 'API key' | 'API secret'): Promise<string> {
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: `Copy ${field}` }).click();
    await dialog.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    const copied = await clipboard();
    expect(copied).toBe(await dialog.getByLabel(field, { exact: true }).inputValue());
    return copied;
  }

  it('signs in, finds API Access through Settings, creates a key and copies its secret', async () => {
    await submitSignIn(page, t.url, owner.email, 'not the password, surely');
    await page.getByRole('alert').filter({ hasText: 'The email or password is wrong' }).waitFor();
    await signInThroughPage(page, t.url, owner.email);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { level: 1 }).waitFor();
    await screenshot(page, 'dashboard');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('link', { name: 'Profile & Team', exact: true }).click();
    await page.getByRole('heading', { name: 'Profile & Team', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'API Access', exact: true }).click();
    await page.getByRole('heading', { name: 'API Access', level: 1 }).waitFor();

    await page.getByRole('button', { name: 'Create New API Key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create New API Key' });
    await dialog.getByLabel('Name').fill('Billing app');
    await dialog.getByRole('checkbox', { name: 'See API keys' }).check();
    await dialog.getByLabel('Application permissions').fill('orders:read');
    await choose(page, 'Expiry', 'In 90 days');
    // allowed addresses are checked as they are typed, naming the entry that is wrong
    const addresses = dialog.getByLabel('Allowed addresses');
    await addresses.fill('10.0.0.300');
    await dialog.getByText('“10.0.0.300” is not an address or a range').waitFor();
    await addresses.fill('127.0.0.0/8, ::1');
    await dialog.getByText('is not an address or a range').waitFor({ state: 'hidden' });
    await screenshot(page, 'create-key-dialog');
    await dialog.getByRole('button', { name: 'Create API key' }).click();
    await dialog.getByText("You can't view it again").waitFor();
    await screenshot(page, 'secret-dialog');

    const key = await copyFromDialog('API key');
    const secret = await copyFromDialog('API secret');
    expect(key).toMatch(/^empk_/);
    expect(secret).toMatch(/^emps_/);
    expect(await authorized(key, secret)).toBe(200);

    await dialog.getByRole('button', { name: 'I have stored the secret' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('row', { name: /Billing app/ }).waitFor();
    await screenshot(page, 'api-access');

    // regenerate: asked first, then the new secret once; the old one is dead everywhere
    await page
      .getByRole('row', { name: /Billing app/ })
      .getByRole('button', { name: 'Regenerate secret' })
      .click();
    const regenerate = page.getByRole('dialog', { name: 'Regenerate secret' });
    await regenerate.getByText('stops working at once, everywhere').waitFor();
    await regenerate.getByRole('button', { name: 'Regenerate secret' }).click();
    await regenerate.getByText("You can't view it again").waitFor();
    const newSecret = await copyFromDialog('API secret');
    expect(newSecret).not.toBe(secret);
    await regenerate.getByRole('button', { name: 'I have stored the secret' }).click();
    expect(await authorized(key, secret)).toBe(401);
    expect(await authorized(key, newSecret)).toBe(200);

    // revoke: asked first; then refused
    await page
      .getByRole('row', { name: /Billing app/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    const revoke = page.getByRole('dialog', { name: 'Revoke API key' });
    await revoke.getByText("can't be undone").waitFor();
    await revoke.getByRole('button', { name: 'Revoke API key' }).click();
    await revoke.waitFor({ state: 'hidden' });
    expect(await authorized(key, newSecret)).toBe(401);
    await page
      .getByRole('row', { name: /Billing app/ })
      .getByText('Revoked', { exact: true })
      .first()
      .waitFor();
    // the last use, with its address on focus (the usage recorder writes within a second or two)
    const lastUsed = page
      .getByRole('row', { name: /Billing app/ })
      .getByText(/^(just now|.* ago)$/);
    const shown = await eventually(async () => {
      await page.reload();
      await page.getByRole('row', { name: /Billing app/ }).waitFor();
      return (await lastUsed.count()) > 0;
    }, 10_000);
    expect(shown).toBe(true);
    await lastUsed.first().focus();
    await page.getByRole('tooltip').filter({ hasText: 'From 127.0.0.1' }).waitFor();

    // the page never held the session token or a secret anywhere a script could read them
    expect(await browserStorage()).not.toMatch(/emst_|emps_/);
    expect(b.external).toEqual([]);
    expect(b.cspViolations).toEqual([]);
  });

  it('Activity shows those steps with their actor, checks the log, and the download holds them', async () => {
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { name: 'Activity', level: 1 }).waitFor();
    const table = page.getByRole('table');
    for (const what of ['Created an API key', 'Regenerated the secret', 'Revoked an API key']) {
      await table.getByRole('row').filter({ hasText: what }).first().waitFor();
    }
    const created = table.getByRole('row').filter({ hasText: 'Created an API key' }).first();
    expect(await created.textContent()).toContain('journey-owner');
    await page.getByRole('button', { name: 'Check for tampering' }).click();
    await page.getByText(/The log is intact/).waitFor();
    await screenshot(page, 'activity');
    const downloaded = async () => {
      const download = page.waitForEvent('download');
      await page.getByRole('link', { name: 'Download CSV' }).click();
      return readFileSync(await (await download).path(), 'utf8');
    };
    const csv = await downloaded();
    for (const action of ['apiKey.created', 'apiKey.secretRegenerated', 'apiKey.revoked'])
      expect(csv).toContain(action);
    expect(csv).toContain(owner.id);

    // one action, chosen in plain words: the table and the download narrow alike
    await choose(page, 'Action', 'Revoked an API key');
    const createdRows = () => table.getByRole('row').filter({ hasText: 'Created an API key' });
    expect(await eventually(async () => (await createdRows().count()) === 0)).toBe(true);
    await table.getByRole('row').filter({ hasText: 'Revoked an API key' }).first().waitFor();
    const narrowed = await downloaded();
    expect(narrowed).toContain('apiKey.revoked');
    expect(narrowed).not.toContain('apiKey.created');
    expect(b.external).toEqual([]);
  });

  it('a page of 50 keys renders within 200 ms of its data arriving', async () => {
    for (let i = 0; i < 50; i++) await createKey(t, owner, team.id, { name: `Bulk key ${i}` });
    await page.goto(`${t.url}/teams/${team.id}/settings/profile-team/api-access`);
    await page.getByRole('row', { name: /Bulk key 49/ }).waitFor();
    const ms = await page.waitForFunction(() => {
      const [measure] = performance.getEntriesByName('keys:render');
      return measure ? measure.duration : false;
    });
    const duration = (await ms.jsonValue()) as number;
    console.log(`50 keys rendered ${duration.toFixed(1)} ms after their data arrived`);
    expect(duration).toBeLessThanOrEqual(200);
    expect(await page.getByRole('row').count()).toBeGreaterThanOrEqual(51);
    // searching narrows the page to what matches
    await page.getByLabel('Search by name or API key').fill('Bulk key 49');
    expect(await eventually(async () => (await page.getByRole('row').count()) === 2)).toBe(true);
    await page.getByRole('row', { name: /Bulk key 49/ }).waitFor();
  });
});
