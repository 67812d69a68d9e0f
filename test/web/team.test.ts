import type { Page } from 'playwright-core';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import {
  logIn,
  PASSWORD,
  uniqueEmail,
  type SignedInUser,
  type TeamFixture,
} from '../helpers/factories';
import { eventually } from '../helpers/http';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { choose, signInThroughPage } from '../helpers/web-app';

/**
 * Settings → Profile & Team in a real Chromium: an owner invites a person by email; that person
 * creates an account, finds the invitation on the dashboard and accepts it; the owner changes their
 * role, gives and withdraws one permission, creates a role of the team's own, and removes them.
 * Each step is read back from the database, where the server put it. Where sign-up is closed, the
 * sign-in page says whom to ask instead of offering it.
 */

describeWithChromium('a team, managed in the web app', () => {
  let t: TestServer;
  let owner: SignedInUser;
  let team: TeamFixture;
  let b: IsolatedBrowser;
  let page: Page;
  const invitee = { email: uniqueEmail('invitee'), name: 'Ines Invitee' };

  beforeAll(async () => {
    ({ t, owner, team } = await seed().owner('team-owner').team('People Co'));
    b = await launchIsolated();
    page = b.page;
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  const teamTab = `/teams/${'TEAM'}/settings/profile-team?tab=team`;
  const openTeamTab = async () => {
    await page.goto(`${t.url}${teamTab.replace('TEAM', team.id)}`);
    await page.getByRole('heading', { name: 'Profile & Team', level: 1 }).waitFor();
  };
  const membership = async () =>
    (
      await t.dataSource.query<{ id: string; role: string }[]>(
        `SELECT m.id, r.name AS role FROM memberships m JOIN roles r ON r.id = m.role_id
         JOIN users u ON u.id = m.user_id WHERE m.team_id = $1 AND u.email = $2`,
        [team.id, invitee.email],
      )
    )[0];
  const grants = async (membershipId: string) =>
    (
      await t.dataSource.query<{ permission: string }[]>(
        'SELECT permission FROM permission_grants WHERE membership_id = $1',
        [membershipId],
      )
    ).map((g) => g.permission);

  it('the owner invites; the person signs up, sees the invitation and accepts it', async () => {
    await signInThroughPage(page, t.url, owner.email);
    await openTeamTab();
    await page.getByLabel('Email address').fill(invitee.email);
    await choose(page, 'Role', 'Member');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText(invitee.email).first().waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);

    await page.goto(`${t.url}/sign-up`);
    await page.getByLabel('Name').fill(invitee.name);
    await page.getByLabel('Email').fill(invitee.email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    const invitations = page.getByRole('region', { name: 'Invitations' });
    await invitations.getByText('People Co').waitFor();
    await invitations.getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('link', { name: 'People Co' }).first().waitFor();
    expect((await membership())?.role).toBe('Member');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
  });

  it('the owner changes the role, gives and withdraws a permission, and removes the member', async () => {
    await signInThroughPage(page, t.url, owner.email);
    await openTeamTab();
    await choose(page, `Role of ${invitee.name}`, 'Auditor');
    expect(await eventually(async () => (await membership())?.role === 'Auditor')).toBe(true);

    const row = page.getByRole('row', { name: new RegExp(invitee.name) });
    await row.getByRole('button', { name: 'Extra permissions' }).click();
    const dialog = page.getByRole('dialog', { name: `Extra permissions of ${invitee.name}` });
    await choose(page, 'Permission to give', 'Create API keys');
    await dialog.getByRole('button', { name: 'Give permission' }).click();
    const { id } = await membership();
    expect(await eventually(async () => (await grants(id)).join() === 'apiKeys:create')).toBe(true);
    await dialog.getByRole('button', { name: 'Withdraw' }).click();
    expect(await eventually(async () => (await grants(id)).length === 0)).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await row.getByRole('button', { name: 'Remove' }).click();
    await page
      .getByRole('dialog', { name: 'Remove member' })
      .getByRole('button', { name: 'Remove member' })
      .click();
    expect(await eventually(async () => (await membership()) === undefined)).toBe(true);
  });

  it('the owner creates a role of the team’s own from plain-language permissions', async () => {
    await page.goto(`${t.url}/teams/${team.id}/settings/profile-team?tab=roles`);
    await page.getByRole('button', { name: 'Create role' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create role' });
    await dialog.getByLabel('Role name').fill('Key keeper');
    await dialog.getByRole('checkbox', { name: 'See API keys' }).check();
    await dialog.getByRole('checkbox', { name: 'Create API keys' }).check();
    await dialog.getByRole('button', { name: 'Create role' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const [role] = await t.dataSource.query<{ permissions: string[] }[]>(
      `SELECT permissions FROM roles WHERE team_id = $1 AND name = 'Key keeper'`,
      [team.id],
    );
    expect([...role.permissions].sort()).toEqual(['apiKeys:create', 'apiKeys:read']);
    expect(b.external).toEqual([]);
  });

  it('the profile: a new name, a new password, and signing out everywhere', async () => {
    await page.goto(`${t.url}/teams/${team.id}/settings/profile-team`);
    await page.getByRole('heading', { name: 'Profile & Team', level: 1 }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Olga Owner');
    await page.getByRole('button', { name: 'Save name' }).click();
    const name = async () =>
      (
        await t.dataSource.query<{ name: string }[]>('SELECT name FROM users WHERE id = $1', [
          owner.id,
        ])
      )[0].name;
    expect(await eventually(async () => (await name()) === 'Olga Owner')).toBe(true);

    const newPassword = 'a brand new passphrase for Olga';
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByLabel('Repeat new password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    const signsIn = (password: string) =>
      logIn(t, owner.email, password).then(
        () => true,
        () => false,
      );
    expect(await eventually(() => signsIn(newPassword))).toBe(true);

    // the Bearer session of the seed ended with the password change; this one ends now
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.waitForURL(/\/sign-in/);
    const sessions = await t.dataSource.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM sessions WHERE user_id = $1',
      [owner.id],
    );
    expect(sessions[0].n).toBe(0);
  });

  it('where sign-up is closed, the sign-in page says whom to ask instead of offering it', async () => {
    const { t: closed } = await seed({ ALLOW_SIGNUP: 'false' });
    try {
      await page.goto(`${closed.url}/sign-in`);
      await page.getByText("Ask your team's administrator for an invitation.").waitFor();
      expect(await page.getByRole('link', { name: 'Create an account' }).count()).toBe(0);
    } finally {
      await closed.close();
    }
  });
});
