import type { Page } from 'playwright-core';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser } from '../helpers/factories';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { seriousAccessibilityFindings, signInThroughPage } from '../helpers/web-app';

/**
 * Confirming an address in a real Chromium, on a server that sends email (to a port where nothing
 * listens: the link is read back from the outbox). A new account's dashboard asks for it, the link
 * confirms it, and a used or made-up link says it didn't work.
 */
describeWithChromium('confirming an email address in the web app', () => {
  let t: TestServer;
  let owner: SignedInUser;
  let b: IsolatedBrowser;
  let page: Page;

  beforeAll(async () => {
    ({ t, owner } = await seed({
      SMTP_URL: 'smtp://127.0.0.1:9',
      PUBLIC_URL: 'https://empress.example',
    })
      .owner('confirm-owner')
      .team('Confirming'));
    b = await launchIsolated();
    page = b.page;
  }, 90_000);
  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const link = async () => {
    const [{ link: sent }] = await t.dataSource.query<{ link: string }[]>(
      `SELECT link FROM email_outbox WHERE to_address = $1 ORDER BY created_at LIMIT 1`,
      [owner.email],
    );
    return `${t.url}/verify-email${new URL(sent).search}`;
  };

  it('the dashboard asks for the address to be confirmed; the emailed link confirms it', async () => {
    const confirmation = await link();
    await signInThroughPage(page, t.url, owner.email);
    const notice = page.getByRole('region', { name: 'Confirm your email address' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain(owner.email);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);

    await page.goto(confirmation);
    await page.getByText('Your address is confirmed').waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await page.getByRole('link', { name: 'Go to your dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    expect(await notice.count()).toBe(0);

    // the same link again, and one made up
    for (const used of [confirmation, `${t.url}/verify-email?token=made-up`]) {
      await page.goto(used);
      await page.getByText("This link didn't work").waitFor();
    }
  });
});
