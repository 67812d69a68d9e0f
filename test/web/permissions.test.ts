import { CreateApiKeyDocument } from '../clients/generated/graphql';
import { describeWithChromium, launchIsolated, type IsolatedBrowser } from '../helpers/browser';
import type { SignedInUser, TeamFixture } from '../helpers/factories';
import { codeOf } from '../helpers/graphql';
import { seed } from '../helpers/seed';
import type { TestServer } from '../helpers/server';
import { signInThroughPage } from '../helpers/web-app';

/**
 * What a person may not do is not offered: a Member (who may see keys but not create or change
 * them) sees the team's keys without "Create New API Key" and with the key actions off, each with
 * its reason, as the server's own answers (viewerPermissions, viewerCan…) say. The server stays
 * the authority: the same person's direct call is refused, and the key stays as it was.
 */

describeWithChromium('a member without the permission', () => {
  let t: TestServer;
  let team: TeamFixture;
  let member: SignedInUser;
  let b: IsolatedBrowser;

  beforeAll(async () => {
    ({ t, team, member } = await seed()
      .owner('perm-owner')
      .team('Guarded')
      .member('member', 'Member', { prefix: 'perm-member' })
      .key('k', { name: 'Owner key' }));
    b = await launchIsolated();
    await signInThroughPage(b.page, t.url, member.email);
  }, 90_000);

  afterAll(async () => {
    await b?.close();
    await t?.close();
  });

  it('sees the keys but no way to create, regenerate or revoke one, and is told why', async () => {
    const { page } = b;
    await page.goto(`${t.url}/teams/${team.id}/settings/profile-team/api-access`);
    const row = page.getByRole('row', { name: /Owner key/ });
    await row.waitFor();
    expect(await page.getByRole('button', { name: 'Create New API Key' }).count()).toBe(0);
    await page
      .getByText("You can see this team's API keys but not create them.", { exact: false })
      .waitFor();
    for (const name of ['Regenerate secret', 'Revoke'])
      expect(await row.getByRole('button', { name }).isDisabled()).toBe(true);
    await row.getByText("You don't have permission to change this key.").waitFor();
    // members and roles can't be changed either
    await page.goto(`${t.url}/teams/${team.id}/settings/profile-team?tab=team`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: 'Send invitation' }).count()).toBe(0);
    expect(b.external).toEqual([]);
  });

  it('and the server refuses the same person calling it directly', async () => {
    const res = await t.gql(
      CreateApiKeyDocument,
      { input: { teamId: team.id, name: 'sneaky' } },
      member.headers,
    );
    expect(codeOf(res)).toBe('FORBIDDEN');
  });
});
