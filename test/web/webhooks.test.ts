import type { Page, Request } from 'playwright-core';
import { createKey } from '../helpers/api-keys';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { eventually } from '../helpers/http';
import { seed, type SeededMember } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { screenshot, seriousAccessibilityFindings, signInThroughPage } from '../helpers/web-app';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

/**
 * A team's webhooks in a real Chromium against the real server, delivering to a real receiver on
 * loopback: the owner adds an endpoint for "A key was created" in Settings › Profile & Team ›
 * Webhooks (an ftp:// address is refused on its field), sees its signing secret once; a key
 * created through the API reaches the receiver and the endpoint's deliveries say it was
 * delivered; "Send test" says how the test went, delivered or failed; "Send again" sends the same
 * event (the same webhook-id) once more; the list shows the latest 20 attempts and "Load more"
 * the rest; the endpoint is turned off, given a new secret, said to be turned off by the service
 * after failing, edited, turned on and deleted; a member, who may not manage webhooks, gets a sentence and no request for them.
 */

describeWithChromium("the team's webhooks in the web app", () => {
  let t: TestServer;
  let owner: SignedInUser;
  let member: SeededMember;
  let team: TeamFixture;
  let receiver: WebhookReceiver;
  let b: IsolatedBrowser;
  let page: Page;

  beforeAll(async () => {
    ({ t, owner, member, team } = await seed()
      .owner('hooks-web-owner')
      .team('Hooked Ltd')
      .member('member', 'Member', { prefix: 'hooks-web-member' }));
    receiver = await startWebhookReceiver();
    b = await launchIsolated();
    page = b.page;
  }, 90_000);

  afterAll(async () => {
    // the database is shared: no other file's server should keep delivering to this receiver
    await t?.dataSource.query('DELETE FROM webhook_endpoints WHERE team_id = $1', [team?.id]);
    await receiver?.close();
    await b?.close();
    await t?.close();
  });

  const webhooksTab = () => `${t.url}/teams/${team.id}/settings/profile-team?tab=webhooks`;
  const panel = () => page.getByRole('region', { name: 'Webhooks' });
  const card = () => page.getByRole('article', { name: receiver.url });
  const deliveries = () => card().getByRole('table', { name: `Deliveries to ${receiver.url}` });
  const endpointRow = async () =>
    (
      await t.dataSource.query<{ id: string; enabled: boolean; events: string[] }[]>(
        'SELECT id, enabled, events FROM webhook_endpoints WHERE team_id = $1',
        [team.id],
      )
    )[0];

  it('the owner adds an endpoint for "A key was created" and sees its secret once', async () => {
    await signInThroughPage(page, t.url, owner.email);
    await page.goto(webhooksTab());
    await panel().getByText('The team has no webhook endpoints yet.').waitFor();
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);

    await panel().getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add endpoint' });
    // every event type in words, the raw name beside it, grouped
    await dialog.getByRole('group', { name: 'API keys' }).waitFor();
    await dialog.getByRole('group', { name: 'Members' }).waitFor();
    await dialog.getByRole('group', { name: 'Rules' }).waitFor();
    await dialog.getByText('apiKey.revoked', { exact: true }).waitFor();
    // nothing chosen: refused before anything is sent
    await dialog.getByLabel('Address (URL)').fill(receiver.url);
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByText('Choose at least one event.').waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);

    // an address that is not https:// is refused by the server, on its field
    await dialog.getByRole('checkbox', { name: 'A key was created' }).check();
    await dialog.getByLabel('Address (URL)').fill('ftp://x');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByText('Enter a full address that starts with https://').waitFor();
    const url = dialog.getByLabel('Address (URL)');
    expect(await url.getAttribute('aria-invalid')).toBe('true');
    expect(await url.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(await endpointRow()).toBeUndefined();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'webhooks-add-dialog');

    await url.fill(receiver.url);
    await dialog.getByLabel('Description').fill('Our key inventory');
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();
    await dialog.getByText("You can't view it again").waitFor();
    const secret = await dialog.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'webhooks-secret-dialog');
    // Escape asks first, and the secret is still there when going back
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Go back to the secret' }).click();
    expect(await dialog.getByLabel('Signing secret').inputValue()).toBe(secret);
    await dialog.getByRole('button', { name: 'I have stored the secret' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // the secret is gone from the page, and the dialog opens empty again
    expect(await page.content()).not.toContain(secret);
    await panel().getByRole('button', { name: 'Add endpoint' }).click();
    expect(await dialog.getByLabel('Address (URL)').inputValue()).toBe('');
    expect(await dialog.getByLabel('Signing secret').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    await card().getByText('On', { exact: true }).waitFor();
    await card().getByText('Our key inventory').waitFor();
    await card().getByText('A key was created').waitFor();
    expect((await endpointRow()).events).toEqual(['apiKey.created']);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
  });

  it('a key created through the API reaches the receiver, and its delivery shows as delivered', async () => {
    await createKey(t, owner, team.id, { name: 'Hooked key' });
    expect(await eventually(async () => receiver.of('apiKey.created').length >= 1, 10_000)).toBe(
      true,
    );

    await card().getByRole('button', { name: 'Show deliveries' }).click();
    const row = deliveries().getByRole('row', { name: /A key was created/ });
    await row.getByText('Delivered', { exact: true }).waitFor({ timeout: 15_000 });
    await row.getByText('apiKey.created', { exact: true }).waitFor();
    await row.getByRole('cell', { name: '200', exact: true }).waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
  });

  it('"Send test" says the test was delivered', async () => {
    await card().getByRole('button', { name: 'Send test' }).click();
    await card()
      .getByRole('status')
      .filter({ hasText: /Test event: Delivered \(200, [\d,]+ ms\)/ })
      .waitFor();
    expect(receiver.of('webhook.test')).toHaveLength(1);
    await deliveries()
      .getByRole('row', { name: /A test event/ })
      .waitFor();
  });

  it('with the receiver failing, "Send test" says how it failed', async () => {
    receiver.answer = () => 503;
    try {
      await card().getByRole('button', { name: 'Send test' }).click();
      await card()
        .getByRole('status')
        .filter({ hasText: 'Test event: Failed: answered 503' })
        .waitFor();
    } finally {
      receiver.answer = () => 200;
    }
    expect(receiver.of('webhook.test')).toHaveLength(2);
    await card()
      .getByText(/^Failing since /)
      .waitFor();
    const failed = deliveries()
      .getByRole('row', { name: /A test event/ })
      .filter({ hasText: 'Failed' });
    await failed.getByText('answered 503').waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await screenshot(page, 'webhooks-tab');
  });

  it('"Send again" sends the same event once more, with the same webhook-id', async () => {
    const [first] = receiver.of('apiKey.created');
    const webhookId = first.headers['webhook-id'];
    expect(webhookId).toBeTruthy();
    await deliveries()
      .getByRole('row', { name: /A key was created/ })
      .getByRole('button', { name: /Send again/ })
      .click();
    await card().getByText('“A key was created” will be sent again now, as attempt 2.').waitFor();
    expect(await eventually(async () => receiver.of('apiKey.created').length >= 2, 10_000)).toBe(
      true,
    );
    const again = receiver.of('apiKey.created');
    expect(again.map((r) => r.headers['webhook-id'])).toEqual([webhookId, webhookId]);
    // the list reads itself again until the new attempt is delivered
    const second = deliveries()
      .getByRole('row', { name: /A key was created/ })
      .filter({ has: page.getByRole('cell', { name: '2', exact: true }) });
    await second.getByText('Delivered', { exact: true }).waitFor({ timeout: 15_000 });
  });

  it('the deliveries show the latest 20, and "Load more" the older ones', async () => {
    // 25 older attempts, delivered a day ago, written as the dispatcher writes them
    const { id } = await endpointRow();
    await t.dataSource.query(
      `WITH e AS (INSERT INTO webhook_events (team_id, type, payload)
                  SELECT $1, 'member.joined', '{}'::jsonb FROM generate_series(1, 25) RETURNING id)
       INSERT INTO webhook_deliveries (event_id, endpoint_id, event_type, attempt, status, due_at,
                                       sent_at, response_status, duration_ms, created_at)
       SELECT e.id, $2, 'member.joined', 1, 'SUCCEEDED', now() - interval '1 day',
              now() - interval '1 day', 204, 12, now() - interval '1 day' - random() * interval '1 hour'
         FROM e`,
      [team.id, id],
    );
    const [{ count }] = await t.dataSource.query<{ count: string }[]>(
      'SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1',
      [id],
    );
    expect(Number(count)).toBeGreaterThan(25);
    await card().getByRole('button', { name: 'Refresh deliveries' }).click();
    await card()
      .getByRole('status')
      .filter({ hasText: 'The list was brought up to date.' })
      .waitFor();
    const rows = deliveries().locator('tbody tr');
    expect(await rows.count()).toBe(20);
    await deliveries()
      .getByRole('row', { name: /Someone joined the team/ })
      .first()
      .getByText('Delivered', { exact: true })
      .waitFor();
    await card().getByRole('button', { name: 'Load more deliveries' }).click();
    expect(await eventually(async () => (await rows.count()) === Number(count), 10_000)).toBe(true);
    expect(await card().getByRole('button', { name: 'Load more deliveries' }).count()).toBe(0);
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
  });

  it('turning the endpoint off shows Off; a new secret is shown once', async () => {
    await card().getByRole('button', { name: 'Turn off' }).click();
    await card().getByText('Off', { exact: true }).waitFor();
    await card().getByRole('button', { name: 'Turn on' }).waitFor();
    expect((await endpointRow()).enabled).toBe(false);

    await card().getByRole('button', { name: 'New secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'New signing secret' });
    await dialog.getByText(/old and the new secret/).waitFor();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Make a new secret' }).click();
    const secret = await dialog.getByLabel('Signing secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await dialog.getByText(/For the next 24 hours/).waitFor();
    await page.keyboard.press('Escape');
    await dialog.getByRole('button', { name: 'Close without storing' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.content()).not.toContain(secret);
  });

  it('an endpoint the service turned off says so; the owner edits it and turns it on', async () => {
    await t.dataSource.query(
      `UPDATE webhook_endpoints SET enabled = false, disabled_at = now(),
              failing_since = now() - interval '3 days' WHERE team_id = $1`,
      [team.id],
    );
    await page.reload();
    await card()
      .getByText(/^Turned off on .+ after failing since .+$/)
      .waitFor();

    await card().getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit endpoint' });
    expect(await dialog.getByLabel('Address (URL)').inputValue()).toBe(receiver.url);
    expect(await dialog.getByRole('checkbox', { name: 'A key was created' }).isChecked()).toBe(
      true,
    );
    await dialog.getByRole('checkbox', { name: 'A key was revoked', exact: true }).check();
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await card().getByRole('listitem').filter({ hasText: 'apiKey.revoked' }).waitFor();
    expect((await endpointRow()).events).toEqual(['apiKey.created', 'apiKey.revoked']);

    await card().getByRole('button', { name: 'Turn on' }).click();
    await card().getByText('On', { exact: true }).waitFor();
    expect((await endpointRow()).enabled).toBe(true);
  });

  it('the owner deletes the endpoint after confirming', async () => {
    await card().getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete endpoint' });
    expect(await seriousAccessibilityFindings(page)).toEqual([]);
    await confirm.getByRole('button', { name: 'Delete endpoint' }).click();
    await confirm.waitFor({ state: 'hidden' });
    await panel().getByText('The team has no webhook endpoints yet.').waitFor();
    expect(await endpointRow()).toBeUndefined();
    expect(b.external).toEqual([]);
    expect(b.cspViolations).toEqual([]);
  });

  it('a member, who may not manage webhooks, gets a sentence and no request for them', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await signInThroughPage(page, t.url, member.email);
    const asked: string[] = [];
    const listen = (request: Request) => {
      if (request.url().endsWith('/graphql')) asked.push(request.postData() ?? '');
    };
    page.on('request', listen);
    try {
      await page.goto(webhooksTab());
      await panel().getByText("Only the team's Owners and Admins manage webhooks.").waitFor();
      expect(await panel().getByRole('button', { name: 'Add endpoint' }).count()).toBe(0);
      expect(await page.getByRole('textbox', { name: 'Address (URL)' }).count()).toBe(0);
      expect(await seriousAccessibilityFindings(page)).toEqual([]);
    } finally {
      page.off('request', listen);
    }
    expect(asked.some((body) => body.includes('webhookEndpoints'))).toBe(false);
  });
});
